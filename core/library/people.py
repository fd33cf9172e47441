"""User operations on people: naming clusters, renaming, merging, correcting, hiding.

Each function is one unit of work inside the caller's Session (which commits it),
starts a write transaction, and is recorded in the operation log so that
``core.library.undo.undo_last`` reverts it exactly. Assignments made here have
source "user". These are the only functions that create, rename, merge or delete
named people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.library.covers import pin_best_cover
from core.library.undo import ChangeRecorder
from core.safetext import has_control
from core.storage.batches import chunks
from core.storage.engine import begin_write
from core.storage.schema import Assignment, Cluster, Face, FaceConstraint, Person, ReviewItem, utcnow
from core.storage.states import AssignmentSource
from core.storage.upsert import insert

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class PersonRef:
    """The person an operation ended on. ``created``: new person; ``merged``: the name
    already existed (case-insensitively), so the faces joined that person."""

    id: int
    name: str
    created: bool = False
    merged: bool = False


class NameTakenError(ValueError):
    """Another person already has this name (ignoring case)."""

    def __init__(self, name: str, person_id: int) -> None:
        self.name = name
        self.person_id = person_id
        super().__init__(f'The name "{name}" is already used by another person')


class NotFoundError(LookupError):
    """No such person, cluster or face."""


#: What a label or id looks like ("c19", "p1", "24"): names of this form are refused, so that a
#: label always means the group or person it names (``name c19 c24`` would shadow group c24).
LABEL_LIKE = re.compile(r"[cCpP]?\d+")


def normalize_name(name: str) -> str:
    """The name as stored: surrounding and repeated whitespace removed. Refuses empty and
    too long names, names with control characters (ANSI escapes) and names that look like a
    group or person label."""
    cleaned = _clean(name)
    if has_control(cleaned):
        raise ValueError("A name cannot contain control characters or terminal escapes")
    if LABEL_LIKE.fullmatch(cleaned):
        raise ValueError(f'"{cleaned}" looks like a group or person label (c12, p3, 7): choose another name')
    return cleaned


def _clean(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("A name cannot be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValueError(f"A name can have at most {MAX_NAME_LENGTH} characters")
    return cleaned


def name_key(name: str) -> str:
    """The case-insensitive identity of a name (Unicode case folding); also for looking up
    names stored before :func:`normalize_name` refused some."""
    return _clean(name).casefold()


def find_person(session: Session, name: str) -> PersonRef | None:
    """The person called ``name`` ignoring case, if any (ask before merging)."""
    person = session.scalars(select(Person).where(Person.name_key == name_key(name))).first()
    return None if person is None else PersonRef(person.id, person.name)


def name_cluster(session: Session, cluster_id: int, name: str) -> PersonRef:
    """Give cluster ``cluster_id`` a name: its faces go to that person (created if new).

    If a person with that name exists (ignoring case) the faces join them and the result
    has ``merged=True``; callers ask the user first (see :func:`find_person`). Faces the
    user said are not that person stay in the cluster.
    """
    begin_write(session)
    name = normalize_name(name)
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or not cluster.active:
        raise NotFoundError(f"No active cluster {cluster_id}")
    rec = ChangeRecorder(session)
    person = session.scalars(select(Person).where(Person.name_key == name_key(name))).first()
    in_cluster = select(Assignment.face_id).where(Assignment.cluster_id == cluster_id)
    blocked: set[int] = set()
    if person is not None:
        blocked = set(session.scalars(select(FaceConstraint.face_id).where(
            FaceConstraint.kind == "not_person", FaceConstraint.person_id == person.id,
            FaceConstraint.face_id.in_(in_cluster))))
    moving = [f for f in session.scalars(in_cluster) if f not in blocked]
    reviews = _review_ids(session, moving)
    rec.track(Assignment, moving)
    rec.track(ReviewItem, reviews)
    rec.track(Cluster, [cluster_id])
    created = person is None
    if person is None:
        person = _create_person(session, rec, name)
    else:  # they keep the face they show
        rec.track(Person, [person.id])
        pin_best_cover(session, person)
    _move_to_person(session, moving, person.id)
    pin_best_cover(session, person)  # a new person: their best face, kept from now on
    _delete_ids(session, ReviewItem, reviews)
    if not blocked:
        session.execute(update(Cluster).where(Cluster.id == cluster_id).values(active=False))
    text = f'Name cluster {cluster_id} "{person.name}"' if created else \
        f'Add cluster {cluster_id} to "{person.name}"'
    rec.record("name_cluster", text)
    return PersonRef(person.id, person.name, created=created, merged=not created)


def rename_person(session: Session, person_id: int, new_name: str) -> PersonRef:
    """Rename a person; :class:`NameTakenError` if another person has that name."""
    begin_write(session)
    person = _person(session, person_id)
    new_name = normalize_name(new_name)
    key = name_key(new_name)
    other = session.scalars(select(Person.id).where(Person.name_key == key, Person.id != person_id)).first()
    if other is not None:
        raise NameTakenError(new_name, other)
    old_name = person.name
    rec = ChangeRecorder(session)
    rec.track(Person, [person_id])
    person.name, person.name_key = new_name, key
    rec.record("rename_person", f'Rename "{old_name}" to "{new_name}"')
    return PersonRef(person.id, person.name)


def merge_people(session: Session, src_id: int, dst_id: int) -> PersonRef:
    """Move all of ``src``'s faces and statements to ``dst`` and delete ``src``."""
    if src_id == dst_id:
        raise ValueError("Cannot merge a person into themselves")
    begin_write(session)
    src, dst = _person(session, src_id), _person(session, dst_id)
    faces = list(session.scalars(select(Assignment.face_id).where(Assignment.person_id == src_id)))
    src_constraints = list(session.scalars(
        select(FaceConstraint.id).where(FaceConstraint.person_id == src_id)))
    contradicted = list(session.scalars(select(FaceConstraint.id).where(
        FaceConstraint.kind == "not_person", FaceConstraint.person_id == dst_id,
        FaceConstraint.face_id.in_(select(Assignment.face_id).where(Assignment.person_id == src_id)))))
    reviews = list(session.scalars(select(ReviewItem.id).where(ReviewItem.person_id == src_id)))
    rec = ChangeRecorder(session)
    rec.track(Assignment, faces)
    rec.track(FaceConstraint, src_constraints + contradicted)
    rec.track(ReviewItem, reviews)
    rec.track(Person, [src_id, dst_id])
    pin_best_cover(session, dst)  # the target keeps the face it shows, whatever joins it
    session.execute(update(Assignment).where(Assignment.person_id == src_id)
                    .values(person_id=dst_id, updated_at=utcnow()))
    _delete_ids(session, FaceConstraint, contradicted)
    session.execute(update(FaceConstraint).where(FaceConstraint.person_id == src_id).values(person_id=dst_id))
    _delete_ids(session, ReviewItem, reviews)
    src_name = src.name
    session.delete(src)
    rec.record("merge_people", f'Merge "{src_name}" into "{dst.name}"')
    return PersonRef(dst.id, dst.name, merged=True)


def remove_faces(session: Session, person_id: int, face_ids: Iterable[int]) -> int:
    """"Not this person": take the faces away from the person (assignment or suggestion)
    and remember that they never go back to them. Returns how many faces changed."""
    begin_write(session)
    person = _person(session, person_id)
    faces = _existing_faces(session, face_ids)
    assigned: list[int] = []
    reviews: list[tuple[int, int]] = []
    known: set[int] = set()
    for chunk in chunks(faces):
        assigned += session.scalars(select(Assignment.face_id).where(
            Assignment.person_id == person_id, Assignment.face_id.in_(chunk)))
        reviews += [(r, f) for r, f in session.execute(select(ReviewItem.id, ReviewItem.face_id).where(
            ReviewItem.person_id == person_id, ReviewItem.face_id.in_(chunk)))]
        known.update(session.scalars(select(FaceConstraint.face_id).where(
            FaceConstraint.kind == "not_person", FaceConstraint.person_id == person_id,
            FaceConstraint.face_id.in_(chunk))))
    review_ids = [r for r, _ in reviews]
    rec = ChangeRecorder(session)
    rec.track(Assignment, assigned)
    rec.track(ReviewItem, review_ids)
    rec.track(Person, [person_id])
    _delete_ids(session, Assignment, assigned)
    _delete_ids(session, ReviewItem, review_ids)
    new = [FaceConstraint(face_id=f, kind="not_person", person_id=person_id) for f in faces if f not in known]
    session.add_all(new)
    if person.cover_face_id in faces:
        person.cover_face_id = None
    session.flush()
    rec.track_new(FaceConstraint, [c.id for c in new])
    rec.record("remove_faces", f'{_faces(len(faces))} not "{person.name}"')
    return len(set(assigned) | {f for _, f in reviews})


def assign_faces(session: Session, face_ids: Iterable[int], person: int | str) -> PersonRef:
    """Say these faces are ``person`` (an id, or a name: created if new)."""
    begin_write(session)
    faces = _existing_faces(session, face_ids)
    rec = ChangeRecorder(session)
    created = False
    if isinstance(person, int):
        target = _person(session, person)
    else:
        found = session.scalars(select(Person).where(Person.name_key == name_key(person))).first()
        created = found is None
        target = found if found is not None else _create_person(session, rec, normalize_name(person))
    contradicted: list[int] = []
    for chunk in chunks(faces):
        contradicted += session.scalars(select(FaceConstraint.id).where(
            FaceConstraint.kind == "not_person", FaceConstraint.person_id == target.id,
            FaceConstraint.face_id.in_(chunk)))
    reviews = _review_ids(session, faces)
    rec.track(Assignment, faces)
    rec.track(FaceConstraint, contradicted)
    rec.track(ReviewItem, reviews)
    if not created:  # they keep the face they show (a "yes" in review never changes it)
        rec.track(Person, [target.id])
        pin_best_cover(session, target)
    _delete_ids(session, FaceConstraint, contradicted)
    _delete_ids(session, ReviewItem, reviews)
    _move_to_person(session, faces, target.id)
    pin_best_cover(session, target)
    rec.record("assign_faces", f'{_faces(len(faces))} to "{target.name}"')
    return PersonRef(target.id, target.name, created=created)


def assign_face(session: Session, face_id: int, person: int | str) -> PersonRef:
    """Say face ``face_id`` is ``person`` (an id, or a name: created if new)."""
    return assign_faces(session, [face_id], person)


def hide_person(session: Session, person_id: int, hidden: bool = True) -> None:
    """Hide a person from the people list (or show them again)."""
    begin_write(session)
    person = _person(session, person_id)
    rec = ChangeRecorder(session)
    rec.track(Person, [person_id])
    person.hidden = hidden
    rec.record("hide_person", f'{"Hide" if hidden else "Show"} "{person.name}"')


def set_cover_face(session: Session, person_id: int, face_id: int | None) -> None:
    """Choose the face shown for a person ("Use as cover"; None: their best one, see
    :mod:`core.library.covers`)."""
    begin_write(session)
    person = _person(session, person_id)
    if face_id is not None:
        assignment = session.get(Assignment, face_id)
        if assignment is None or assignment.person_id != person_id:
            raise ValueError(f'Face {face_id} is not one of the faces of "{person.name}"')
    rec = ChangeRecorder(session)
    rec.track(Person, [person_id])
    person.cover_face_id = face_id
    rec.record("set_cover_face", f'Change the picture of "{person.name}"')


def ignore_faces(session: Session, face_ids: Iterable[int], ignored: bool = True) -> int:
    """Mark faces as ignored (not a face, or nobody to care about), or not."""
    begin_write(session)
    faces = _existing_faces(session, face_ids)
    rec = ChangeRecorder(session)
    rec.track(Face, faces)
    for chunk in chunks(faces):
        session.execute(update(Face).where(Face.id.in_(chunk)).values(ignored=ignored))
    rec.record("ignore_faces", f'{"Ignore" if ignored else "Stop ignoring"} {_faces(len(faces)).lower()}')
    return len(faces)


def ignore_face(session: Session, face_id: int, ignored: bool = True) -> None:
    """Mark one face as ignored, or not."""
    ignore_faces(session, [face_id], ignored)


def _faces(n: int) -> str:
    return "1 face" if n == 1 else f"{n} faces"


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"No person {person_id}")
    return person


def _existing_faces(session: Session, face_ids: Iterable[int]) -> list[int]:
    wanted = sorted({int(f) for f in face_ids})
    found: set[int] = set()
    for chunk in chunks(wanted):
        found.update(session.scalars(select(Face.id).where(Face.id.in_(chunk))))
    missing = [f for f in wanted if f not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise NotFoundError(f"No face {missing[0]}{more}")
    return wanted


def _create_person(session: Session, rec: ChangeRecorder, name: str) -> Person:
    person = Person(name=name, name_key=name_key(name))
    session.add(person)
    session.flush()
    rec.track_new(Person, [person.id])
    return person


def _review_ids(session: Session, faces: list[int]) -> list[int]:
    found: list[int] = []
    for chunk in chunks(faces):
        found += session.scalars(select(ReviewItem.id).where(ReviewItem.face_id.in_(chunk)))
    return found


def _delete_ids(session: Session, model: type[Assignment | ReviewItem | FaceConstraint],
                ids: list[int]) -> None:
    (pk,) = model.__table__.primary_key.columns  # Assignment: face_id; the others: id
    for chunk in chunks(ids):
        session.execute(delete(model).where(pk.in_(chunk)))


def _move_to_person(session: Session, faces: list[int], person_id: int) -> None:
    now = utcnow()
    rows = [{"face_id": f, "person_id": person_id, "cluster_id": None, "source": AssignmentSource.USER,
             "confidence": None, "updated_at": now} for f in faces]
    if not rows:
        return
    stmt = insert(Assignment.__table__)
    stmt = stmt.on_conflict_do_update(index_elements=["face_id"], set_={
        c: stmt.excluded[c] for c in ("person_id", "cluster_id", "source", "confidence", "updated_at")})
    session.execute(stmt, rows)

