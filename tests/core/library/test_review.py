"""The review queue: what regroup suggests, the order, the answers and their undo."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_grouping import add_faces, blend, centres, cluster_of, pin_thresholds, samples

from core.library.grouping import answer_review, regroup, review_queue
from core.library.people import ignore_faces, name_cluster
from core.library.review import ReviewSuggestion, load_thresholds
from core.library.undo import redo_last, undo_last
from core.storage.schema import Assignment, FaceConstraint, ReviewItem


@pytest.fixture
def suggested(library, factory):
    """Ann named from a cluster; three borderline faces of hers at different distances."""
    c = centres(5, seed=2)
    with library.session() as s:
        pin_thresholds(s)
        ann_faces = add_faces(s, factory, samples(c[0], 4, seed=1))
    regroup(library)
    with library.session() as s:
        ann = name_cluster(s, cluster_of(s, ann_faces)[0], "Ann")
        borderline = add_faces(s, factory, [blend(c[0], c[k], t) for k, t in ((1, 0.54), (2, 0.56), (3, 0.58))])
    result = regroup(library)
    assert (result.recognized, result.suggested) == (0, 3)
    return ann, borderline


def test_queue_is_ordered_by_uncertainty(library, suggested):
    ann, faces = suggested
    with library.session() as s:
        queue = review_queue(s, 10)
        pivot = load_thresholds(s).recognition.pivot()
        assert all(isinstance(q, ReviewSuggestion) for q in queue)
        assert {q.face_id for q in queue} == set(faces)
        assert {(q.person_id, q.person_name) for q in queue} == {(ann.id, "Ann")}
        gaps = [abs(q.distance - pivot) for q in queue]
        assert gaps == sorted(gaps)
        assert len(review_queue(s, 2)) == 2
        assert all(q.photo_id is not None for q in queue)


def test_accept_assigns_and_undo_restores(library, suggested):
    ann, faces = suggested
    with library.session() as s:
        answer = answer_review(s, faces[0], ann.id, accept=True)
    assert answer.accepted and "Ann" in answer.description
    with library.session() as s:
        row = s.get(Assignment, faces[0])
        assert (row.person_id, row.source) == (ann.id, "user")
        assert faces[0] not in {q.face_id for q in review_queue(s, None)}
    with library.session() as s:
        assert undo_last(s) is not None
    with library.session() as s:
        assert s.get(Assignment, faces[0]) is None
        assert faces[0] in {q.face_id for q in review_queue(s, None)}
    with library.session() as s:
        redo_last(s)
    with library.session() as s:
        assert s.get(Assignment, faces[0]).person_id == ann.id


def test_reject_is_remembered_and_undoable(library, suggested):
    ann, faces = suggested
    with library.session() as s:
        answer_review(s, faces[1], ann.id, accept=False)
    with library.session() as s:
        assert faces[1] not in {q.face_id for q in review_queue(s, None)}
        assert s.scalars(select(FaceConstraint.face_id).where(FaceConstraint.kind == "not_person")).all() == [faces[1]]
    assert regroup(library).suggested == 2  # not suggested again
    with library.session() as s:
        assert undo_last(s) is not None
    with library.session() as s:
        assert s.scalars(select(FaceConstraint)).all() == []
        assert faces[1] in {q.face_id for q in review_queue(s, None)}


def test_ignored_and_assigned_faces_leave_the_queue(library, suggested):
    ann, faces = suggested
    with library.session() as s:
        ignore_faces(s, [faces[2]])
    with library.session() as s:
        assert faces[2] not in {q.face_id for q in review_queue(s, None)}
    regroup(library)
    with library.session() as s:
        assert s.scalars(select(ReviewItem.face_id).where(ReviewItem.face_id == faces[2])).all() == []


def test_queue_without_grouping_yet(library):
    with library.session() as s:
        assert review_queue(s, 10) == []


def test_status_counts_what_the_queue_lists(library, suggested):
    """The Review badge (``status().review_items``) and the queue use one filter: an ignored
    face's suggestion, or one whose face a person already has, is in neither."""
    from core.library.people import assign_faces
    from core.library.queries import count_pending_reviews, status

    ann, faces = suggested
    with library.session() as s:
        ignore_faces(s, [faces[0]])
    with library.session() as s:  # a person took the face by another way than the review
        assign_faces(s, [faces[2]], "Bo")
        s.add(ReviewItem(face_id=faces[2], person_id=ann.id, distance=0.9))
    with library.session() as s:
        queue = review_queue(s, None)
        assert [q.face_id for q in queue] == [faces[1]]
        assert status(s).review_items == count_pending_reviews(s) == len(queue) == 1


def test_one_persons_suggestions_and_the_counts_by_person(library, suggested, factory):
    """Confirm in bulk: the suggestions of one person, and how many each person has."""
    from core.library.people import assign_faces
    from core.library.review import review_counts

    ann, faces = suggested
    with library.session() as s:
        bo = assign_faces(s, factory.faces(s, 1), "Bo").id
        other = factory.faces(s, 1)[0]
        s.add(ReviewItem(face_id=other, person_id=bo, distance=0.9))
    with library.session() as s:
        assert review_counts(s) == [(ann.id, "Ann", 3), (bo, "Bo", 1)]
        assert {q.face_id for q in review_queue(s, None, person_id=ann.id)} == set(faces)
        assert [q.face_id for q in review_queue(s, None, person_id=bo)] == [other]
        ignore_faces(s, [faces[0]])
    with library.session() as s:
        assert review_counts(s)[0] == (ann.id, "Ann", 2)
