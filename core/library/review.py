"""Recognition results in the library: automatic names, "is this X?" suggestions, the user's answers.

* :func:`review_queue`: pending suggestions, most uncertain first: ordered by how close the
  distance is to the middle of the review band (between the automatic-naming and the review
  thresholds; on LFW about half of the suggestions there are right), then by face id.
* :func:`answer_review`: "yes" assigns the face (source "user"), "no" records "not this
  person"; both go through :mod:`core.library.people`, so both are undoable.
* :func:`store_recognition`: writes what :func:`core.clustering.recognition.recognize` decided
  for some faces (used by grouping): AUTO -> assignment with source "recognizer" and
  ``confidence`` = cosine similarity of the nearest face of that person; REVIEW -> one
  suggestion for the best person. Assignments with source "user" are never overwritten.
* :func:`load_thresholds` / :func:`save_thresholds`: the library's
  :class:`core.clustering.presets.GroupingThresholds` (``LibraryMeta["grouping"]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from core.clustering.presets import GroupingThresholds
from core.clustering.recognition import AUTO, REVIEW, Recognition
from core.clustering.strictness import strictness_or_default
from core.library.people import assign_faces, remove_faces
from core.library.queries import pending_reviews
from core.library.undo import peek_undo
from core.storage.batches import chunks
from core.storage.schema import (
    Assignment,
    Embedding,
    Face,
    FaceConstraint,
    LibraryMeta,
    Person,
    ReviewItem,
    utcnow,
)
from core.storage.states import AssignmentSource
from core.storage.upsert import insert

META_KEY = "grouping"
_EPS = 1e-9


@dataclass(frozen=True)
class ReviewSuggestion:
    """"Is face ``face_id`` ``person_name``?" ``distance``: squared L2 to that person's nearest face."""

    face_id: int
    person_id: int
    person_name: str
    distance: float
    photo_id: int | None = None


@dataclass(frozen=True)
class ReviewAnswer:
    """What :func:`answer_review` did (``description``: the undo label)."""

    face_id: int
    person_id: int
    accepted: bool
    description: str


def stored_thresholds(session: Session) -> GroupingThresholds | None:
    """The thresholds saved in the library, if any (any calibration version)."""
    meta = session.get(LibraryMeta, META_KEY)
    if meta is None or not isinstance(meta.value, dict) or "thresholds" not in meta.value:
        return None
    try:
        return GroupingThresholds.from_json(meta.value["thresholds"])
    except (KeyError, TypeError, ValueError):
        return None


def save_grouping_meta(session: Session, **values: object) -> None:
    """Update keys of ``LibraryMeta["grouping"]`` (``thresholds``: ``GroupingThresholds.to_json()``,
    ``model_id``, ``strictness``); written only when something changes."""
    meta = session.get(LibraryMeta, META_KEY)
    old = dict(meta.value) if meta is not None and isinstance(meta.value, dict) else {}
    new = {**old, **values}
    if meta is None:
        session.add(LibraryMeta(key=META_KEY, value=new))
    elif new != old:
        meta.value = new


def last_strictness(session: Session) -> str:
    """The strictness of the library's last grouping ("normal" before the first)."""
    meta = session.get(LibraryMeta, META_KEY)
    value = meta.value.get("strictness") if meta is not None and isinstance(meta.value, dict) else None
    return strictness_or_default(value)


def save_thresholds(session: Session, thresholds: GroupingThresholds, model_id: str, strictness: str) -> None:
    save_grouping_meta(session, thresholds=thresholds.to_json(), model_id=model_id, strictness=strictness)


def pick_model(session: Session) -> str | None:
    """The library's active model: ``LibraryMeta["active_model"]`` (see :mod:`core.library.active_model`)
    when one was chosen, else the model with the most stored embeddings."""
    chosen = session.get(LibraryMeta, "active_model")
    if chosen is not None and isinstance(chosen.value, dict) and chosen.value.get("model_id"):
        return str(chosen.value["model_id"])
    row = session.execute(select(Embedding.model_id, func.count()).group_by(Embedding.model_id)
                          .order_by(func.count().desc(), Embedding.model_id).limit(1)).first()
    return None if row is None else str(row[0])


def load_thresholds(session: Session) -> GroupingThresholds:
    """The library's thresholds, or the calibrated defaults when none (of this version) are stored."""
    stored = stored_thresholds(session)
    default = GroupingThresholds.calibrated()
    return stored if stored is not None and stored.version == default.version else default


def review_queue(session: Session, limit: int | None = 50, person_id: int | None = None) -> list[ReviewSuggestion]:
    """Pending suggestions for faces that belong to no person and are not ignored (and photo
    metadata's disagreements with a name given in the app, source "metadata"), most
    uncertain first (see the module doc); at most ``limit`` (None: all); ``person_id``: only
    the suggestions of that person."""
    pivot = load_thresholds(session).recognition.pivot()
    stmt = (pending_reviews(ReviewItem.face_id, ReviewItem.person_id, Person.name, ReviewItem.distance,
                            Face.photo_id)
            .join(Person, Person.id == ReviewItem.person_id))
    if person_id is not None:
        stmt = stmt.where(ReviewItem.person_id == person_id)
    stmt = (stmt
            .order_by(func.abs(ReviewItem.distance - pivot), ReviewItem.face_id, ReviewItem.person_id)
            .limit(limit))
    return [ReviewSuggestion(*row) for row in session.execute(stmt)]


def review_counts(session: Session) -> list[tuple[int, str, int]]:
    """(person id, name, pending suggestions) for every person with some, most first."""
    stmt = (pending_reviews(ReviewItem.person_id, Person.name, func.count())
            .join(Person, Person.id == ReviewItem.person_id)
            .group_by(ReviewItem.person_id, Person.name, Person.name_key)  # PostgreSQL: every ordered column
            .order_by(func.count().desc(), Person.name_key))
    return [(int(p), str(n), int(c)) for p, n, c in session.execute(stmt)]


def answer_review(session: Session, face_id: int, person_id: int, accept: bool) -> ReviewAnswer:
    """The user's answer to "is this face that person?" (undoable, see the module doc)."""
    if accept:
        assign_faces(session, [face_id], person_id)
    else:
        remove_faces(session, person_id, [face_id])
    return ReviewAnswer(face_id, person_id, accept, peek_undo(session) or "")


def not_person_map(session: Session, face_ids: Sequence[int]) -> dict[int, set[int]]:
    """face id -> the people the user said it is not."""
    out: dict[int, set[int]] = {}
    for chunk in chunks(sorted({int(f) for f in face_ids})):
        for face, person in session.execute(select(FaceConstraint.face_id, FaceConstraint.person_id).where(
                FaceConstraint.kind == "not_person", FaceConstraint.face_id.in_(chunk))):
            if person is not None:  # a not_person constraint always names one
                out.setdefault(face, set()).add(person)
    return out


def gallery_faces(session: Session, grow_max: float) -> tuple[np.ndarray, np.ndarray]:
    """(face ids, person ids) of the recognition gallery: faces of named people that the user
    assigned, or that were recognised within ``grow_max`` (not ignored)."""
    confident = and_(Assignment.source == AssignmentSource.RECOGNIZER,
                     Assignment.confidence >= 1.0 - grow_max / 2.0 - _EPS)
    rows = session.execute(select(Assignment.face_id, Assignment.person_id)
                           .join(Face, Face.id == Assignment.face_id)
                           .where(Assignment.person_id.is_not(None), Face.ignored.is_(False),
                                  (Assignment.source == AssignmentSource.USER) | confident)
                           .order_by(Assignment.face_id)).all()
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64)


def store_recognition(session: Session, face_ids: np.ndarray, rec: Recognition) -> tuple[list[int], list[int]]:
    """Write the decisions for ``face_ids`` (one per row of ``rec``); replaces these faces' review
    suggestions. Returns (named face ids, suggested face ids)."""
    face_ids = np.asarray(face_ids, dtype=np.int64)
    auto = np.flatnonzero(rec.decision == AUTO)
    review = np.flatnonzero(rec.decision == REVIEW)
    now = utcnow()
    rows = [{"face_id": int(face_ids[i]), "person_id": int(rec.person[i]), "cluster_id": None,
             "source": AssignmentSource.RECOGNIZER, "confidence": float(1.0 - rec.distance[i] / 2.0), "updated_at": now}
            for i in auto]
    if rows:
        stmt = insert(Assignment.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["face_id"],
            set_={c: stmt.excluded[c] for c in ("person_id", "cluster_id", "source", "confidence", "updated_at")},
            where=Assignment.__table__.c.source != AssignmentSource.USER)
        session.execute(stmt, rows)
    wanted = {int(face_ids[i]): (int(rec.person[i]), float(rec.distance[i])) for i in review}
    existing: dict[int, list[tuple[int, int, float, str]]] = {}
    for chunk in chunks(face_ids.tolist()):
        for rid, face, person, dist, source in session.execute(select(
                ReviewItem.id, ReviewItem.face_id, ReviewItem.person_id, ReviewItem.distance, ReviewItem.source)
                .where(ReviewItem.face_id.in_(chunk))):
            existing.setdefault(face, []).append((rid, person, dist, source))
    stale: list[int] = []
    for face, items in existing.items():
        want = wanted.get(face)
        for rid, person, dist, source in items:
            if source == "metadata":  # a question from photo metadata stays until the user answers it
                if want is not None and want[0] == person:
                    wanted.pop(face)
            elif want is not None and want[0] == person and abs(want[1] - dist) < 1e-6:
                wanted.pop(face)
            else:
                stale.append(rid)
    for chunk in chunks(stale):
        session.execute(delete(ReviewItem).where(ReviewItem.id.in_(chunk)))
    if wanted:
        session.execute(insert(ReviewItem), [{"face_id": f, "person_id": p, "distance": d}
                                             for f, (p, d) in sorted(wanted.items())])
    return [int(face_ids[i]) for i in auto], [int(face_ids[i]) for i in review]


def drop_reviews_except(session: Session, face_ids: Sequence[int]) -> int:
    """Delete the suggestions of every face not in ``face_ids`` (stale ones); how many."""
    keep = {int(f) for f in face_ids}
    stale = [rid for rid, face in session.execute(select(ReviewItem.id, ReviewItem.face_id)
                                                  .where(ReviewItem.source != "metadata")) if face not in keep]
    for chunk in chunks(stale):
        session.execute(delete(ReviewItem).where(ReviewItem.id.in_(chunk)))
    return len(stale)
