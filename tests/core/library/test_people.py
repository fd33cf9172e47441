"""User operations on people: what each one does to the library."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.library.people import (
    NameTakenError,
    NotFoundError,
    assign_face,
    assign_faces,
    find_person,
    hide_person,
    ignore_face,
    merge_people,
    name_cluster,
    name_key,
    normalize_name,
    remove_faces,
    rename_person,
    set_cover_face,
)
from core.storage.schema import (
    Assignment,
    Cluster,
    Face,
    FaceConstraint,
    Operation,
    Person,
    ReviewItem,
)


def _assignments(s) -> dict[int, tuple]:
    return {a.face_id: (a.person_id, a.cluster_id, a.source)
            for a in s.scalars(select(Assignment)).all()}


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_names_are_cleaned_and_compared_ignoring_case():
    assert normalize_name("  Ann \t Lee  ") == "Ann Lee"
    assert name_key("ÉMILE") == name_key("émile")
    assert name_key("STRASSE") == name_key("Straße")
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(ValueError):
            normalize_name(bad)


def test_name_cluster_creates_the_person_and_moves_its_faces(library, factory):
    with library.session() as s:
        faces = factory.faces(s, 3)
        cluster = factory.cluster(s, faces)
        s.add(ReviewItem(face_id=faces[0], person_id=_person(s, "Someone"), distance=0.4))
    with library.session() as s:
        ref = name_cluster(s, cluster, "  Ann ")
    assert (ref.name, ref.created, ref.merged) == ("Ann", True, False)
    with library.session() as s:
        assert _assignments(s) == {f: (ref.id, None, "user") for f in faces}
        assert s.get(Cluster, cluster).active is False
        assert find_person(s, "someone") is not None
        assert _count(s, ReviewItem) == 0
        assert find_person(s, "ANN") == ref.__class__(ref.id, "Ann")
        assert _count(s, Operation) == 1


def _person(s, name: str) -> int:
    person = Person(name=name, name_key=name_key(name))
    s.add(person)
    s.flush()
    return person.id


def test_naming_a_cluster_with_an_existing_name_merges_into_that_person(library, factory):
    with library.session() as s:
        mine = factory.faces(s, 1)
        ann = assign_faces(s, mine, "Ann").id
        faces = factory.faces(s, 3)
        cluster = factory.cluster(s, faces)
        s.add(FaceConstraint(face_id=faces[2], kind="not_person", person_id=ann))
    with library.session() as s:
        ref = name_cluster(s, cluster, "aNN")
    assert (ref.id, ref.name, ref.created, ref.merged) == (ann, "Ann", False, True)
    with library.session() as s:
        got = _assignments(s)
        assert [got[f] for f in faces] == [(ann, None, "user"), (ann, None, "user"),
                                           (None, cluster, "clusterer")]  # "not Ann" stays
        assert s.get(Cluster, cluster).active is True
        assert _count(s, Person) == 1


def test_name_cluster_errors(library, factory):
    with library.session() as s:
        cluster = factory.cluster(s, factory.faces(s, 1))
        with pytest.raises(NotFoundError):
            name_cluster(s, 999, "Ann")
        with pytest.raises(ValueError):
            name_cluster(s, cluster, " ")
        name_cluster(s, cluster, "Ann")
        with pytest.raises(NotFoundError):  # already named: no longer an active cluster
            name_cluster(s, cluster, "Bob")


def test_rename_person(library, factory):
    with library.session() as s:
        ann = assign_face(s, factory.faces(s, 1)[0], "Ann").id
        bob = assign_face(s, factory.faces(s, 1)[0], "Bob").id
    with library.session() as s:
        assert rename_person(s, ann, "ann").name == "ann"  # own name, other case: fine
        with pytest.raises(NameTakenError) as info:
            rename_person(s, ann, "BOB")
        assert info.value.person_id == bob and "BOB" in str(info.value)
        with pytest.raises(NotFoundError):
            rename_person(s, 999, "Carl")
        rename_person(s, ann, "Annie")
    with library.session() as s:
        assert sorted(s.scalars(select(Person.name))) == ["Annie", "Bob"]


def test_merge_people_moves_faces_statements_and_cover(library, factory):
    with library.session() as s:
        a_faces, b_faces = factory.faces(s, 2), factory.faces(s, 1)
        other, suggested = factory.faces(s, 2)
        ann = assign_faces(s, a_faces, "Ann").id
        bob = assign_faces(s, b_faces, "Bob").id
        set_cover_face(s, ann, a_faces[1])
        s.add_all([FaceConstraint(face_id=other, kind="not_person", person_id=ann),
                   FaceConstraint(face_id=a_faces[0], kind="not_person", person_id=bob),
                   ReviewItem(face_id=suggested, person_id=ann, distance=0.5)])
    with library.session() as s:
        ref = merge_people(s, ann, bob)
        assert (ref.id, ref.name, ref.merged) == (bob, "Bob", True)
    with library.session() as s:
        assert s.get(Person, ann) is None
        assert _assignments(s) == {f: (bob, None, "user") for f in a_faces + b_faces}
        constraints = s.scalars(select(FaceConstraint)).all()
        assert [(c.face_id, c.person_id) for c in constraints] == [(other, bob)]
        assert _count(s, ReviewItem) == 0
        assert s.get(Person, bob).cover_face_id == b_faces[0]  # the target keeps the face it showed
        with pytest.raises(ValueError):
            merge_people(s, bob, bob)


def test_remove_faces_says_not_this_person_for_good(library, factory):
    with library.session() as s:
        faces = factory.faces(s, 3)
        suggested = factory.faces(s, 1)[0]
        ann = assign_faces(s, faces, "Ann").id
        set_cover_face(s, ann, faces[0])
        s.add(ReviewItem(face_id=suggested, person_id=ann, distance=0.3))
    with library.session() as s:
        assert remove_faces(s, ann, [faces[0], suggested]) == 2
        assert remove_faces(s, ann, [faces[0]]) == 0  # already removed: no duplicate statement
    with library.session() as s:
        assert _assignments(s) == {faces[1]: (ann, None, "user"), faces[2]: (ann, None, "user")}
        got = sorted((c.face_id, c.kind, c.person_id) for c in s.scalars(select(FaceConstraint)))
        assert got == sorted([(faces[0], "not_person", ann), (suggested, "not_person", ann)])
        assert _count(s, ReviewItem) == 0
        assert s.get(Person, ann).cover_face_id is None
        with pytest.raises(NotFoundError):
            remove_faces(s, ann, [12345])


def test_assign_face_by_name_or_id_overrides_clusters_and_old_statements(library, factory):
    with library.session() as s:
        faces = factory.faces(s, 3)
        cluster = factory.cluster(s, faces[:2])
        ref = assign_face(s, faces[0], "Ann")
        assert ref.created
        assert not assign_face(s, faces[1], "ANN").created
        s.add_all([FaceConstraint(face_id=faces[2], kind="not_person", person_id=ref.id),
                   ReviewItem(face_id=faces[2], person_id=ref.id, distance=0.2)])
    with library.session() as s:
        assign_face(s, faces[2], ref.id)
        assert _assignments(s) == {f: (ref.id, None, "user") for f in faces}
        assert _count(s, FaceConstraint) == 0 and _count(s, ReviewItem) == 0
        assert s.get(Cluster, cluster).active  # the clusterer tidies empty clusters
        with pytest.raises(NotFoundError):
            assign_face(s, 999, "Ann")
        with pytest.raises(NotFoundError):
            assign_face(s, faces[0], 999)


def test_hide_ignore_and_cover(library, factory):
    with library.session() as s:
        faces = factory.faces(s, 2)
        ann = assign_face(s, faces[0], "Ann").id
        hide_person(s, ann)
        hide_person(s, ann)  # no change: not logged
        ignore_face(s, faces[1])
        with pytest.raises(ValueError):
            set_cover_face(s, ann, faces[1])  # not Ann's
        set_cover_face(s, ann, faces[0])  # already her cover (kept since she was named): no change, not logged
    with library.session() as s:
        person = s.get(Person, ann)
        assert (person.hidden, person.cover_face_id) == (True, faces[0])
        assert s.get(Face, faces[1]).ignored is True
        kinds = s.scalars(select(Operation.kind).order_by(Operation.id)).all()
        assert kinds == ["assign_faces", "hide_person", "ignore_faces"]
