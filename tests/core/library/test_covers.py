"""Covers: chosen by quality (size, sharpness, detector score, frontal pose) and kept once chosen."""

from __future__ import annotations

from sqlalchemy import select, update

from core.library import queries as q
from core.library.covers import COVER_QUALITY, cover_score, frontal
from core.library.grouping import answer_review
from core.library.people import assign_faces, merge_people, name_cluster, remove_faces, set_cover_face
from core.library.undo import undo_last
from core.storage.schema import Face, ReviewItem

FRONTAL = [40.0, 50.0, 80.0, 50.0, 60.0, 70.0, 45.0, 90.0, 75.0, 90.0]  # eyes, nose, mouth corners
PROFILE = [40.0, 50.0, 80.0, 50.0, 78.0, 70.0, 45.0, 90.0, 75.0, 90.0]  # nose by the right eye


def _set(session, face: int, **values) -> None:
    session.execute(update(Face).where(Face.id == face).values(**values))


def test_the_formula_in_sql_and_python_agree(library, factory):
    cases = [(120.0, 300.0, 0.99, FRONTAL), (200.0, 50.0, 0.7, PROFILE), (60.0, 900.0, 0.9, None)]
    with library.session() as s:
        faces = factory.faces(s, len(cases))
        for f, (size, sharp, score, lm) in zip(faces, cases, strict=True):
            _set(s, f, quality_size=size, quality_sharpness=sharp, score=score, landmarks=lm)
    with library.session() as s:
        got = dict(s.execute(select(Face.id, COVER_QUALITY).where(Face.id.in_(faces))).all())
    for f, case in zip(faces, cases, strict=True):
        assert abs(got[f] - cover_score(*case)) < 1e-9
    assert frontal(FRONTAL) == 1.0 and frontal(PROFILE) < 0.1


def test_a_big_sharp_profile_or_occluded_face_loses_to_a_good_frontal_one(library, factory):
    with library.session() as s:
        good, profile, occluded = factory.faces(s, 3)
        _set(s, good, quality_size=110.0, quality_sharpness=250.0, score=0.98, landmarks=FRONTAL)
        _set(s, profile, quality_size=300.0, quality_sharpness=900.0, score=0.97, landmarks=PROFILE)
        _set(s, occluded, quality_size=300.0, quality_sharpness=900.0, score=0.45, landmarks=FRONTAL)
        ann = assign_faces(s, [good, profile, occluded], "Ann").id
    with library.session() as s:
        assert q.list_people(s)[0].cover_face_id == good
        assert [f.id for f in q.faces_of_person(s, ann)][0] == good  # best first uses the same rank


def test_a_cover_is_kept_through_yes_regroup_and_merge_until_the_user_picks_one(library, factory):
    with library.session() as s:
        first = factory.faces(s, 2)
        for f in first:
            _set(s, f, quality_size=80.0, quality_sharpness=200.0, score=0.95, landmarks=FRONTAL)
        _set(s, first[1], quality_size=90.0)
        ann = name_cluster(s, factory.cluster(s, first), "Ann").id
        better = factory.faces(s, 1)[0]  # a better face of hers, suggested later
        _set(s, better, quality_size=150.0, quality_sharpness=400.0, score=0.99, landmarks=FRONTAL)
        s.add(ReviewItem(face_id=better, person_id=ann, distance=0.5))
        bob_faces = factory.faces(s, 1)
        _set(s, bob_faces[0], quality_size=160.0, quality_sharpness=400.0, score=0.99, landmarks=FRONTAL)
        bob = assign_faces(s, bob_faces, "Bob").id
    with library.session() as s:
        assert {p.name: p.cover_face_id for p in q.list_people(s)}["Ann"] == first[1]  # kept since named
        answer_review(s, better, ann, accept=True)  # a "yes"
    with library.session() as s:
        assert {p.name: p.cover_face_id for p in q.list_people(s)}["Ann"] == first[1]
        merge_people(s, bob, ann)  # Bob's (better) face joins Ann: Ann keeps her face
    with library.session() as s:
        assert q.list_people(s)[0].cover_face_id == first[1]
        undo_last(s)
    with library.session() as s:
        assert {p.name: p.cover_face_id for p in q.list_people(s)} == {"Ann": first[1], "Bob": bob_faces[0]}
        set_cover_face(s, ann, better)  # "Use as cover"
    with library.session() as s:
        assert {p.name: p.cover_face_id for p in q.list_people(s)}["Ann"] == better
        remove_faces(s, ann, [better])  # not her after all: the best of the rest
    with library.session() as s:
        assert {p.name: p.cover_face_id for p in q.list_people(s)}["Ann"] == first[1]
