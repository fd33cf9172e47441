"""One transaction of the metadata read: what it needs to know and what it writes, in bulk.

:class:`Batch` reads the faces, photo sizes and "not this person" statements of a batch of photos
with one query each, looks people up by name at once, and collects the writes (assignments,
provenance, review suggestions, what was read) to send as one statement per table at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.library.people import name_key
from core.metadata.regions import Box
from core.storage.batches import IN_LIST_SIZE, chunks
from core.storage.schema import (
    Assignment,
    Face,
    FaceConstraint,
    FaceMetadata,
    MetadataSource,
    Person,
    Photo,
    ReviewItem,
    utcnow,
)
from core.storage.states import AssignmentSource
from core.storage.upsert import insert

REVIEW_DISTANCE = 1.0  # suggestions from metadata have no embedding distance: the middle of the scale


@dataclass
class FaceRow:
    """A face of a photo being read, with its current name and where that name came from."""

    id: int
    box: Box
    ignored: bool
    person_id: int | None
    source: str | None
    person_key: str | None
    person_name: str | None
    meta_name: str | None


class Batch:
    """One transaction's reads (faces, sizes, "not this person" statements: one query each for
    the photos with something to apply) and writes (collected, then one statement per table)."""

    def __init__(self, session: Session, photo_ids: list[int]) -> None:
        self.session = session
        self.faces: dict[int, list[FaceRow]] = {p: [] for p in photo_ids}
        self.sizes: dict[int, tuple[int, int]] = {}
        self.people: dict[str, tuple[int, str]] = {}
        self.looked_up: set[str] = set()  # name keys asked for (found or not)
        self.said_not: set[tuple[int, int]] = set()
        self.assign: dict[int, int] = {}
        self.meta: dict[int, dict] = {}
        self.reviews: dict[tuple[int, int], dict] = {}
        self.sources: list[dict] = []
        self.new_people: dict[str, str] = {}  # name key -> name: created at flush, one statement
        for chunk in chunks(photo_ids):
            q = (select(Face.photo_id, Face.id, Face.x, Face.y, Face.w, Face.h, Face.ignored, Assignment.person_id,
                        Assignment.source, Person.name_key, Person.name, FaceMetadata.name)
                 .outerjoin(Assignment, Assignment.face_id == Face.id)
                 .outerjoin(Person, Person.id == Assignment.person_id)
                 .outerjoin(FaceMetadata, FaceMetadata.face_id == Face.id)
                 .where(Face.photo_id.in_(chunk)).order_by(Face.id))
            for r in session.execute(q):
                self.faces[r[0]].append(FaceRow(r[1], (r[2], r[3], r[4], r[5]), bool(r[6]), r[7], r[8], r[9], r[10],
                                                 r[11]))
            self.sizes.update({i: (w or 0, h or 0) for i, w, h in session.execute(
                select(Photo.id, Photo.width, Photo.height).where(Photo.id.in_(chunk)))})
            faces = select(Face.id).where(Face.photo_id.in_(chunk))
            self.said_not.update((f, p) for f, p in session.execute(
                select(FaceConstraint.face_id, FaceConstraint.person_id).where(
                    FaceConstraint.kind == "not_person", FaceConstraint.face_id.in_(faces))) if p is not None)

    def load_people(self, names: set[str]) -> None:
        """The people these names (already normalized) belong to, in one query."""
        keys = sorted({name_key(n) for n in names} - set(self.people) - self.looked_up)
        self.looked_up.update(keys)
        for start in range(0, len(keys), IN_LIST_SIZE):
            chunk = keys[start:start + IN_LIST_SIZE]
            self.people.update({k: (i, n) for i, n, k in self.session.execute(
                select(Person.id, Person.name, Person.name_key).where(Person.name_key.in_(chunk)))})

    def person(self, name: str) -> tuple[int, str]:
        """The person called ``name`` (normalized), created if new."""
        key = name_key(name)
        if key not in self.people:
            self.load_people({name})
        if key not in self.people:  # a placeholder id (negative) until flush() creates them all at once
            self.new_people[key] = name
            self.people[key] = (-len(self.new_people), name)
        return self.people[key]

    def record(self, face_id: int, name: str, origin: str, created: bool = False) -> None:
        self.meta[face_id] = {"face_id": face_id, "name": name, "origin": origin, "created": created}

    def suggest(self, face_id: int, person_id: int) -> bool:
        if (face_id, person_id) in self.said_not or (face_id, person_id) in self.reviews:
            return False
        self.reviews[(face_id, person_id)] = {"face_id": face_id, "person_id": person_id,
                                              "distance": REVIEW_DISTANCE, "source": "metadata",
                                              "created_at": utcnow()}
        return True

    def flush(self) -> None:
        s, now = self.session, utcnow()
        self._create_people(now)
        if self.assign:
            for chunk in chunks(list(self.assign)):
                s.execute(ReviewItem.__table__.delete().where(ReviewItem.face_id.in_(chunk)))
            stmt = insert(Assignment.__table__)
            s.execute(stmt.on_conflict_do_update(index_elements=["face_id"], set_={
                c: stmt.excluded[c] for c in ("person_id", "cluster_id", "source", "confidence", "updated_at")}),
                [{"face_id": f, "person_id": p, "cluster_id": None, "source": AssignmentSource.USER, "confidence": None,
                  "updated_at": now} for f, p in self.assign.items()])
        if self.meta:
            stmt = insert(FaceMetadata.__table__)
            s.execute(stmt.on_conflict_do_update(index_elements=["face_id"], set_={
                "name": stmt.excluded.name, "origin": stmt.excluded.origin}), list(self.meta.values()))
        reviews = [r for (f, _), r in self.reviews.items() if f not in self.assign]
        if reviews:
            s.execute(insert(ReviewItem.__table__).on_conflict_do_nothing(), reviews)
        if self.sources:
            stmt = insert(MetadataSource.__table__)
            s.execute(stmt.on_conflict_do_update(index_elements=["photo_id"], set_={
                k: stmt.excluded[k] for k in ("signature", "source", "skipped", "read_at")}), self.sources)

    def _create_people(self, now: datetime) -> None:
        """The people :meth:`person` promised, in one statement; placeholder ids replaced."""
        if not self.new_people:
            return
        table = Person.__table__
        rows = [{"name": n, "name_key": k, "hidden": False, "created_at": now} for k, n in self.new_people.items()]
        made = {k: int(i) for i, k in self.session.execute(
            insert(table).returning(table.c.id, table.c.name_key, sort_by_parameter_order=True), rows)}
        real = {self.people[k][0]: made[k] for k in self.new_people}
        for k in self.new_people:
            self.people[k] = (made[k], self.people[k][1])
        self.new_people = {}
        self.assign = {f: real.get(p, p) for f, p in self.assign.items()}
        self.reviews = {(f, real.get(p, p)): {**r, "person_id": real.get(p, p)} for (f, p), r in self.reviews.items()}
