"""Database writes of the importer: one call per photo, inside the caller's write transaction.

A photo row reaches status "done" only in the same transaction that writes its faces and
their embeddings, so a crash never leaves half-imported photos. Nothing here deletes a
photo, and a face the user touched (named, constrained, drawn by hand or chosen as a
cover) is never deleted: when a file's content changes (an edited photo), its old faces
are matched to the new detections by embedding and updated in place, keeping names and
flags. Matching by embedding, not by box, survives crops and rotations and never hands a
name to somebody else when a different photo takes the old file name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from core.library.quality import FaceQuality
from core.library.roots import stored_values
from core.storage.batches import chunks
from core.storage.embeddings import load_matrix, save_embeddings
from core.storage.schema import Assignment, Face, FaceConstraint, LibraryMeta, Person, Photo, utcnow
from core.storage.states import AssignmentSource, PhotoStatus

#: ``LibraryMeta`` key: {path: reason} of what the scans of the imported folders could not read
#: (broken links, unreadable folders, special files), shown by ``faceorg status``.
SCAN_PROBLEMS_KEY = "scan_problems"
MATCH_SIMILARITY = 0.7  # cosine of the same face before and after an edit (other people: < 0.5)


@dataclass
class FaceRecord:
    """A detected face ready to store (``embedding`` is filled in before writing)."""

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float
    quality: FaceQuality
    embedding: np.ndarray | None = None


@dataclass
class PhotoRecord:
    """What the importer learned about one file."""

    path: str
    size: int
    mtime: float
    content_hash: str | None = None
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    error: str | None = None
    faces: list[FaceRecord] = field(default_factory=list)


def _photo_values(session: Session, rec: PhotoRecord) -> dict:
    """The row's file columns; the path as stored: relative to its library root (core.library.roots)."""
    return {**stored_values(session, rec.path), "size": rec.size, "mtime": rec.mtime, "content_hash": rec.content_hash}


def _face_values(photo_id: int, face: FaceRecord) -> dict:
    x, y, w, h = (float(v) for v in face.box)
    return {"photo_id": photo_id, "x": x, "y": y, "w": w, "h": h,
            "landmarks": [round(float(v), 3) for v in np.asarray(face.landmarks).reshape(-1)],
            "score": float(face.score), "quality_size": float(face.quality.size),
            "quality_sharpness": float(face.quality.sharpness)}


def _embeddings(session: Session, model_id: str, ids: Sequence[int], faces: Sequence[FaceRecord]) -> None:
    items = []
    for face_id, face in zip(ids, faces, strict=True):
        if face.embedding is None:
            raise ValueError("face without embedding")
        items.append((face_id, face.embedding))
    save_embeddings(session, model_id, items)


def _insert_faces(session: Session, photo_id: int, faces: Sequence[FaceRecord], model_id: str) -> list[int]:
    if not faces:
        return []
    stmt = insert(Face).returning(Face.id, sort_by_parameter_order=True)
    ids = list(session.scalars(stmt, [_face_values(photo_id, f) for f in faces]))
    _embeddings(session, model_id, ids, faces)
    return ids


def insert_photo(session: Session, rec: PhotoRecord, model_id: str) -> tuple[int, list[int]]:
    """A new photo with status "done" and its faces; returns (photo id, face ids)."""
    values = {**_photo_values(session, rec), "width": rec.width, "height": rec.height, "taken_at": rec.taken_at,
              "status": PhotoStatus.DONE, "error": None, "face_count": len(rec.faces)}
    photo_id = session.scalar(insert(Photo).values(values).returning(Photo.id))
    assert photo_id is not None
    return photo_id, _insert_faces(session, photo_id, rec.faces, model_id)


def insert_duplicate(session: Session, rec: PhotoRecord, original_id: int) -> int:
    """A row for a copy of photo ``original_id``: status "done", no faces of its own."""
    values = {**_photo_values(session, rec), "duplicate_of": original_id, "status": PhotoStatus.DONE, "face_count": 0}
    photo_id = session.scalar(insert(Photo).values(values).returning(Photo.id))
    assert photo_id is not None
    return photo_id


def record_error(session: Session, photo_id: int | None, rec: PhotoRecord) -> int:
    """Status "error" with the reason; an existing row keeps its faces (never deleted)."""
    values = {**_photo_values(session, rec), "status": PhotoStatus.ERROR, "error": rec.error}
    if photo_id is None:
        photo_id = session.scalar(insert(Photo).values(values).returning(Photo.id))
        assert photo_id is not None
    else:
        session.execute(update(Photo).where(Photo.id == photo_id).values(values))
    return photo_id


def set_file(session: Session, photo_id: int, rec: PhotoRecord, *, duplicate_of: int | None = None) -> None:
    """The same content at a new path or with new size/mtime (a move, a touch, a restore)."""
    values = {**_photo_values(session, rec), "status": PhotoStatus.DONE, "error": None}
    if duplicate_of is not None:
        values["duplicate_of"] = duplicate_of
    session.execute(update(Photo).where(Photo.id == photo_id).values(values))


def set_status(session: Session, photo_ids: Iterable[int], status: str) -> None:
    """Set ``status`` ("done" to restore, "missing") on these photos, nothing else."""
    for chunk in chunks(list(photo_ids)):
        session.execute(update(Photo).where(Photo.id.in_(chunk)).values(status=status))


def record_scan_problems(session: Session, roots: Sequence[str], problems: Sequence[tuple[str, str]]) -> None:
    """Replace the scan problems recorded below ``roots`` by ``problems`` (those fixed since go)."""
    from core.library.import_plan import under

    meta = session.get(LibraryMeta, SCAN_PROBLEMS_KEY)
    old: dict[str, str] = dict(meta.value) if meta is not None and isinstance(meta.value, dict) else {}
    new = {path: reason for path, reason in old.items() if not under(path, roots)}
    new.update(problems)
    if meta is None:
        if new:
            session.add(LibraryMeta(key=SCAN_PROBLEMS_KEY, value=new))
    elif new != old:
        meta.value = new


def swap_paths(session: Session, original_id: int, duplicate_id: int) -> None:
    """The original (missing) takes its duplicate's path, size and mtime and status "done";
    the duplicate row takes the vanished path and status "missing"."""
    rows = {r.id: r for r in session.execute(select(Photo.id, Photo.root_id, Photo.path, Photo.size, Photo.mtime)
                                             .where(Photo.id.in_([original_id, duplicate_id])))}
    orig, dup = rows[original_id], rows[duplicate_id]
    # a placeholder no stored path can equal (without a root, paths are absolute); no NUL byte (PostgreSQL refuses)
    session.execute(update(Photo).where(Photo.id == duplicate_id).values(root_id=None, path=f"<swap {duplicate_id}>"))
    session.execute(update(Photo).where(Photo.id == original_id).values(
        root_id=dup.root_id, path=dup.path, size=dup.size, mtime=dup.mtime, status=PhotoStatus.DONE, error=None))
    session.execute(update(Photo).where(Photo.id == duplicate_id).values(
        root_id=orig.root_id, path=orig.path, size=orig.size, mtime=orig.mtime, status=PhotoStatus.MISSING))


def replace_content(session: Session, photo_id: int, rec: PhotoRecord,
                    model_id: str) -> tuple[list[int], int, list[int]]:
    """New content at a known path: update the row and merge faces.

    An old face whose ``model_id`` embedding is close to a new detection's is updated in place
    (assignment, ignored flag and constraints kept); old faces the user touched are kept even
    without a match; other old faces are deleted; the remaining detections are inserted.
    Returns (ids of the faces inserted or re-embedded, number inserted, ids of the faces the
    user touched that matched nothing: kept with their names, to be checked, see
    :func:`record_stale_faces`).
    """
    old = list(session.scalars(select(Face.id).where(Face.photo_id == photo_id)))
    matches = _match(*load_matrix(session, model_id, old), rec.faces)
    matched_new = {j for _, j in matches}
    touched = _user_touched(session, old)
    keep = {i for i, _ in matches} | touched
    stale = sorted(touched - {i for i, _ in matches})
    gone = [i for i in old if i not in keep]
    for chunk in chunks(gone):
        session.execute(delete(Face).where(Face.id.in_(chunk)))
    for face_id, j in matches:
        values = _face_values(photo_id, rec.faces[j])
        values.pop("photo_id")
        session.execute(update(Face).where(Face.id == face_id).values(values))
    _embeddings(session, model_id, [i for i, _ in matches], [rec.faces[j] for _, j in matches])
    fresh = [f for j, f in enumerate(rec.faces) if j not in matched_new]
    inserted = _insert_faces(session, photo_id, fresh, model_id)
    count = session.scalar(select(func.count()).select_from(Face).where(Face.photo_id == photo_id))
    session.execute(update(Photo).where(Photo.id == photo_id).values(
        **_photo_values(session, rec), width=rec.width, height=rec.height, taken_at=rec.taken_at,
        status=PhotoStatus.DONE, error=None, duplicate_of=None, face_count=count or 0))
    return [i for i, _ in matches] + inserted, len(inserted), stale


#: ``LibraryMeta`` key: {face id: photo path} of faces the user named (or otherwise touched) that
#: were not found again when their photo's content changed. They keep their names (a crop or a
#: retouch must never lose one, and the importer cannot tell those from a different picture), are
#: listed after the import and by ``faceorg status`` until the user rejects them or assigns them
#: again (which confirms the name). Values: {"path": photo path, "since": ISO time of the import}.
STALE_FACES_KEY = "stale_faces"


def record_stale_faces(session: Session, stale: Sequence[tuple[int, str]]) -> None:
    """Add (face id, photo path) pairs to the faces to check."""
    if not stale:
        return
    meta = session.get(LibraryMeta, STALE_FACES_KEY)
    value = dict(meta.value) if meta is not None and isinstance(meta.value, dict) else {}
    since = utcnow().isoformat()
    value.update({str(face_id): {"path": path, "since": since} for face_id, path in stale})
    if meta is None:
        session.add(LibraryMeta(key=STALE_FACES_KEY, value=value))
    else:
        meta.value = value


def _match(ids: np.ndarray, old: np.ndarray, new: Sequence[FaceRecord]) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (old face id, new index), most similar first."""
    if not len(ids) or not new:
        return []
    sims = old @ np.stack([np.asarray(f.embedding, dtype=np.float32) for f in new]).T
    order = np.argsort(-sims, axis=None)
    used_old: set[int] = set()
    used_new: set[int] = set()
    out = []
    for flat in order:
        i, j = divmod(int(flat), len(new))
        if sims[i, j] < MATCH_SIMILARITY:
            break
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        out.append((int(ids[i]), j))
    return out


def _user_touched(session: Session, face_ids: list[int]) -> set[int]:
    """Faces with a user assignment or constraint, drawn by hand, or chosen as a cover."""
    touched: set[int] = set()
    for chunk in chunks(face_ids):
        touched.update(session.scalars(select(Assignment.face_id).where(
            Assignment.face_id.in_(chunk), Assignment.source == AssignmentSource.USER)))
        touched.update(session.scalars(select(Face.id).where(Face.id.in_(chunk), Face.manual.is_(True))))
        touched.update(session.scalars(select(Person.cover_face_id).where(Person.cover_face_id.in_(chunk))))
        for column in (FaceConstraint.face_id, FaceConstraint.other_face_id):
            touched.update(session.scalars(select(column).where(column.in_(chunk))))
    return touched

