""""Are these the same person?": groups and people that look alike; a "no" is remembered."""

from __future__ import annotations

from sqlalchemy import select
from test_grouping import add_faces, centres, pin_thresholds, samples

from core.library.merge_suggestions import reject_merge, suggest_merges
from core.library.people import assign_faces
from core.library.undo import undo_last
from core.storage.schema import FaceConstraint


def _world(library, factory):
    c = centres(4, seed=9)
    with library.session() as s:
        pin_thresholds(s)
        ann = assign_faces(s, add_faces(s, factory, samples(c[0], 4, seed=1)), "Ann").id
        ann_group = factory.cluster(s, add_faces(s, factory, samples(c[0], 3, seed=2)))
        bo_1 = factory.cluster(s, add_faces(s, factory, samples(c[1], 3, seed=3)))
        bo_2 = factory.cluster(s, add_faces(s, factory, samples(c[1], 2, seed=4)))
        stranger = factory.cluster(s, add_faces(s, factory, samples(c[2], 3, seed=5)))
        cy = assign_faces(s, add_faces(s, factory, samples(c[3], 2, seed=6)), "Cy").id
    return ann, ann_group, bo_1, bo_2, stranger, cy


def test_look_alikes_are_suggested_and_a_no_is_remembered(library, factory):
    ann, ann_group, bo_1, bo_2, stranger, cy = _world(library, factory)
    with library.session() as s:
        pairs = [(m.a, m.b) for m in suggest_merges(s)]
    assert sorted(pairs) == sorted([(("cluster", ann_group), ("person", ann)),
                                    (("cluster", bo_1), ("cluster", bo_2))])
    with library.session() as s:
        assert reject_merge(s, ("person", ann), ("cluster", ann_group)) == 3  # either order
    with library.session() as s:
        assert [(m.a, m.b) for m in suggest_merges(s)] == [(("cluster", bo_1), ("cluster", bo_2))]
        not_ann = s.scalars(select(FaceConstraint).where(FaceConstraint.kind == "not_person")).all()
        assert {c.person_id for c in not_ann} == {ann} and len(not_ann) == 3
        reject_merge(s, ("cluster", bo_1), ("cluster", bo_2))
    with library.session() as s:
        assert suggest_merges(s) == []
        assert s.scalars(select(FaceConstraint.kind)).all().count("cannot_link") == 1
        assert undo_last(s) is not None  # a "no" can be taken back
    with library.session() as s:
        assert [(m.a, m.b) for m in suggest_merges(s)] == [(("cluster", bo_1), ("cluster", bo_2))]


def test_nothing_to_suggest(library):
    with library.session() as s:
        assert suggest_merges(s) == []
