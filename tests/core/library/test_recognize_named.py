"""recognize_people: right after a naming, that person's faces among the ones nobody named are
recognised (named or suggested) without grouping again. Synthetic embeddings, pinned thresholds."""

from __future__ import annotations

from sqlalchemy import select
from test_grouping import add_faces, blend, centres, cluster_of, pin_thresholds, samples, state

from core.library.grouping import regroup, review_queue
from core.library.people import name_cluster, remove_faces
from core.library.recognize_named import apply_plan, plan_for_people, recognize_people
from core.library.undo import undo_last
from core.storage.schema import Assignment, Person


def _library_with_ann_and_bo(library, factory):
    c = centres(6, seed=4)
    with library.session() as s:
        pin_thresholds(s)
        ann_faces = add_faces(s, factory, samples(c[0], 4, seed=1))
        bo_faces = add_faces(s, factory, samples(c[1], 4, seed=2))
    regroup(library)
    with library.session() as s:
        bo = name_cluster(s, cluster_of(s, bo_faces)[0], "Bo")
        new_ann = add_faces(s, factory, samples(c[0], 2, seed=50))  # imported since: no grouping yet
        borderline = add_faces(s, factory, [blend(c[0], c[k], t) for k, t in ((2, 0.54), (3, 0.56))])
        new_bo = add_faces(s, factory, samples(c[1], 1, seed=60))
        stranger = add_faces(s, factory, centres(1, seed=77))
    return c, ann_faces, bo, new_ann, borderline, new_bo, stranger


def test_naming_recognises_that_persons_faces_at_once(library, factory):
    _c, ann_faces, bo, new_ann, borderline, new_bo, stranger = _library_with_ann_and_bo(library, factory)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, ann_faces)[0], "Ann")
    result = recognize_people(library, [ann.id])
    assert sorted(result.recognized) == sorted(new_ann)
    assert sorted(result.suggested) == sorted(borderline)
    with library.session() as s:
        rows = {a.face_id: a for a in s.scalars(select(Assignment))}
        assert all((rows[f].person_id, rows[f].source) == (ann.id, "recognizer") for f in new_ann)
        assert {(q.face_id, q.person_name) for q in review_queue(s, None)} == {(f, "Ann") for f in borderline}
        assert new_bo[0] not in rows or rows[new_bo[0]].person_id != bo.id  # only the people just named
        assert stranger[0] not in rows
        before = state(s)
    again = recognize_people(library, [ann.id])  # nothing new: nothing changes
    assert again.recognized == []
    with library.session() as s:
        assert state(s) == before
    # grouping afterwards agrees with what was decided at once
    regroup(library)
    with library.session() as s:
        rows = {a.face_id: a for a in s.scalars(select(Assignment))}
        assert all(rows[f].person_id == ann.id for f in new_ann)


def test_not_this_person_and_faces_taken_meanwhile_are_respected(library, factory):
    _c, ann_faces, _bo, new_ann, _borderline, _new_bo, _stranger = _library_with_ann_and_bo(library, factory)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, ann_faces)[0], "Ann")
        remove_faces(s, ann.id, [new_ann[0]])  # "not Ann"
    with library.session() as s:
        plan = plan_for_people(s, [ann.id])
    assert new_ann[0] not in plan.face_ids.tolist() and new_ann[1] in plan.face_ids.tolist()
    with library.session() as s:  # the user names that face someone else before the plan is written
        from core.library.people import assign_faces

        assign_faces(s, [new_ann[1]], "Cy")
    with library.session() as s:
        written = apply_plan(s, plan)
    assert new_ann[1] not in written.recognized
    with library.session() as s:
        assert s.get(Assignment, new_ann[1]).person_id != ann.id


def test_undoing_the_naming_takes_the_recognised_faces_back(library, factory):
    _c, ann_faces, _bo, new_ann, _borderline, _new_bo, _stranger = _library_with_ann_and_bo(library, factory)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, ann_faces)[0], "Ann")
    assert recognize_people(library, [ann.id]).recognized
    with library.session() as s:
        undo_last(s)
    with library.session() as s:
        assert s.get(Person, ann.id) is None
        assert all(s.get(Assignment, f) is None or s.get(Assignment, f).person_id is None for f in new_ann)
