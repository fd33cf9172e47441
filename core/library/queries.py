"""Read-only queries for the CLI and GUI, returning plain dataclasses.

Each function takes a Session the caller opened (and owns); nothing here writes.
Ignored faces are left out of counts, covers and face lists unless asked for; photos
that are duplicates of another (``duplicate_of`` set) are left out of photo lists.
A cover face is the person's kept cover (``Person.cover_face_id``) or else the best face by
:data:`core.library.covers.COVER_QUALITY` (size, sharpness, detector score, frontal pose).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from core.library.covers import COVER_QUALITY
from core.library.folders import under
from core.library.roots import local_path, roots_of
from core.storage.schema import Assignment, Cluster, Face, LibraryMeta, Person, Photo, ReviewItem
from core.storage.states import AssignmentSource, PhotoStatus

QUALITY = COVER_QUALITY  # best first: core.library.covers


@dataclass(frozen=True)
class PersonSummary:
    id: int
    name: str
    hidden: bool
    face_count: int
    cover_face_id: int | None


@dataclass(frozen=True)
class ClusterSummary:
    id: int
    face_count: int
    cover_face_id: int | None


@dataclass(frozen=True)
class FaceInfo:
    id: int
    photo_id: int
    photo_path: str
    box: tuple[float, float, float, float]  # x, y, w, h in photo pixels
    score: float
    person_id: int | None
    person_name: str | None
    cluster_id: int | None
    source: str | None  # an AssignmentSource ("user", "recognizer", "clusterer"), None when unassigned
    confidence: float | None
    ignored: bool = False


@dataclass(frozen=True)
class PhotoInfo:
    id: int
    path: str
    width: int | None
    height: int | None
    taken_at: datetime | None
    status: str
    error: str | None
    face_count: int


@dataclass(frozen=True)
class StatusCounts:
    photos_total: int  # not counting duplicates
    done: int
    error: int
    missing: int
    pending: int
    faces: int  # not ignored
    people: int
    clusters: int  # active, with at least one face
    unassigned: int  # faces in no person and no cluster
    review_items: int
    duplicates: int = 0


def _groups(session: Session, key: Any) -> Any:
    """Per group: face count and best face (SQLite takes bare columns from the max() row;
    PostgreSQL has no bare columns: a window ranks the faces, ties to the lowest id)."""
    if session.get_bind().dialect.name == "postgresql":
        ranked = (select(key.label("key"), Face.id.label("best"), QUALITY.label("quality"),
                         func.count().over(partition_by=key).label("n"),
                         func.row_number().over(partition_by=key, order_by=(QUALITY.desc(), Face.id)).label("rank"))
                  .join(Face, Face.id == Assignment.face_id)
                  .where(key.is_not(None), Face.ignored.is_(False)).subquery())
        return (select(ranked.c.key, ranked.c.n, ranked.c.best, ranked.c.quality)
                .where(ranked.c.rank == 1).subquery())
    return (select(key.label("key"), func.count().label("n"), Face.id.label("best"),
                   func.max(QUALITY).label("quality"))
            .join(Face, Face.id == Assignment.face_id)
            .where(key.is_not(None), Face.ignored.is_(False))
            .group_by(key).subquery())


def list_people(session: Session, include_hidden: bool = False, search: str | None = None,
                sort: Literal["count", "name"] = "count") -> list[PersonSummary]:
    """Named people with their face counts, most faces first (or by name)."""
    groups = _groups(session, Assignment.person_id)
    count = func.coalesce(groups.c.n, 0)
    stmt = (select(Person.id, Person.name, Person.hidden, count,
                   func.coalesce(Person.cover_face_id, groups.c.best))
            .outerjoin(groups, groups.c.key == Person.id))
    if not include_hidden:
        stmt = stmt.where(Person.hidden.is_(False))
    needle = " ".join((search or "").split()).casefold()
    if needle:
        stmt = stmt.where(Person.name_key.contains(needle, autoescape=True))
    if sort == "count":
        stmt = stmt.order_by(count.desc(), Person.name_key)
    elif sort == "name":
        stmt = stmt.order_by(Person.name_key)
    else:
        raise ValueError(f"unknown sort {sort!r}")
    return [PersonSummary(*row) for row in session.execute(stmt)]


def list_clusters(session: Session, min_size: int = 1) -> list[ClusterSummary]:
    """Active clusters with at least ``min_size`` faces, largest first."""
    groups = _groups(session, Assignment.cluster_id)
    stmt = (select(Cluster.id, groups.c.n, groups.c.best)
            .join(groups, groups.c.key == Cluster.id)
            .where(Cluster.active.is_(True), groups.c.n >= max(min_size, 1))
            .order_by(groups.c.n.desc(), Cluster.id))
    return [ClusterSummary(*row) for row in session.execute(stmt)]


def _faces(session: Session) -> Select:  # the columns of FaceInfo
    return (select(Face.id, Face.photo_id, local_path(session).label("path"), Face.x, Face.y, Face.w, Face.h,
                   Face.score, Assignment.person_id, Person.name, Assignment.cluster_id, Assignment.source,
                   Assignment.confidence, Face.ignored)
            .join(Photo, Photo.id == Face.photo_id)
            .outerjoin(Assignment, Assignment.face_id == Face.id)
            .outerjoin(Person, Person.id == Assignment.person_id))


def _face_infos(session: Session, stmt: Select[Any], offset: int, limit: int | None) -> list[FaceInfo]:
    rows = session.execute(stmt.offset(offset).limit(limit))
    return [FaceInfo(r[0], r[1], r[2], (r[3], r[4], r[5], r[6]), *r[7:]) for r in rows]


def faces_of_person(session: Session, person_id: int, *, offset: int = 0, limit: int | None = None,
                    sort: Literal["quality", "date", "confidence"] = "quality",
                    include_ignored: bool = False) -> list[FaceInfo]:
    """A person's faces: best first, by photo date, or least confident first (to review)."""
    stmt = _faces(session).where(Assignment.person_id == person_id)
    if not include_ignored:
        stmt = stmt.where(Face.ignored.is_(False))
    order = {"quality": (QUALITY.desc(),), "date": (Photo.taken_at, Photo.path),
             "confidence": (Assignment.source == AssignmentSource.USER, Assignment.confidence)}[sort]
    return _face_infos(session, stmt.order_by(*order, Face.id), offset, limit)


def faces_of_cluster(session: Session, cluster_id: int, *, offset: int = 0, limit: int | None = None,
                     include_ignored: bool = False) -> list[FaceInfo]:
    """A cluster's faces, best first."""
    stmt = _faces(session).where(Assignment.cluster_id == cluster_id)
    if not include_ignored:
        stmt = stmt.where(Face.ignored.is_(False))
    return _face_infos(session, stmt.order_by(QUALITY.desc(), Face.id), offset, limit)


def faces_of_photo(session: Session, photo_id: int) -> list[FaceInfo]:
    """All faces found in one photo, ignored ones included, left to right."""
    return _face_infos(session, _faces(session).where(Face.photo_id == photo_id).order_by(Face.x, Face.id), 0, None)


def faces_by_id(session: Session, face_ids: Collection[int]) -> list[FaceInfo]:
    """These faces (ignored ones included), by id."""
    wanted = sorted({int(f) for f in face_ids})
    out: list[FaceInfo] = []
    for start in range(0, len(wanted), 500):
        stmt = _faces(session).where(Face.id.in_(wanted[start:start + 500])).order_by(Face.id)
        out += _face_infos(session, stmt, 0, None)
    return out


def unassigned_faces(session: Session, *, offset: int = 0, limit: int | None = None) -> list[FaceInfo]:
    """Faces in no person and no cluster (not ignored), best first."""
    stmt = _faces(session).where(Assignment.face_id.is_(None), Face.ignored.is_(False))
    return _face_infos(session, stmt.order_by(QUALITY.desc(), Face.id), offset, limit)


def _photos_with(person_ids: Collection[int]) -> Select[Any]:
    wanted = set(person_ids)
    return (select(Face.photo_id).join(Assignment, Assignment.face_id == Face.id)
            .where(Assignment.person_id.in_(wanted), Face.ignored.is_(False))
            .group_by(Face.photo_id)
            .having(func.count(distinct(Assignment.person_id)) == len(wanted)))


def _photo_columns(session: Session) -> tuple[Any, ...]:  # the columns of PhotoInfo
    return (Photo.id, local_path(session).label("path"), Photo.width, Photo.height, Photo.taken_at, Photo.status,
            Photo.error, Photo.face_count)


def photos(session: Session, person_ids: Collection[int] | None = None, offset: int = 0,
           limit: int | None = None, folder: str | None = None) -> list[PhotoInfo]:
    """Photos (not duplicates) by date taken, then path; undated ones first.

    With ``person_ids``: only photos in which ALL these people appear; with ``folder``: only
    photos in that folder or below it.
    """
    ids = select(Photo.id).where(Photo.duplicate_of.is_(None))
    if person_ids:
        ids = ids.where(Photo.id.in_(_photos_with(person_ids)))
    if folder:
        ids = ids.where(under(folder, roots_of(session)))
    order: tuple[Any, ...] = (Photo.taken_at, Photo.path)  # SQLite sorts NULL first already
    if session.get_bind().dialect.name == "postgresql":
        order = (Photo.taken_at.asc().nulls_first(), Photo.path)
    if offset or limit is not None:  # page through the covering index, then fetch the rows
        page = ids.order_by(*order).offset(offset).limit(limit).subquery()
        stmt = select(*_photo_columns(session)).join(page, page.c.id == Photo.id)
    else:
        stmt = ids.with_only_columns(*_photo_columns(session))
    return [PhotoInfo(*row) for row in session.execute(stmt.order_by(*order))]


def count_photos(session: Session, person_ids: Collection[int] | None = None, folder: str | None = None) -> int:
    """How many photos :func:`photos` would list without offset and limit."""
    stmt = select(func.count()).select_from(Photo).where(Photo.duplicate_of.is_(None))
    if person_ids:
        stmt = stmt.where(Photo.id.in_(_photos_with(person_ids)))
    if folder:
        stmt = stmt.where(under(folder, roots_of(session)))
    return session.scalar(stmt) or 0


def status(session: Session) -> StatusCounts:
    """Counts for the status bar and ``faceorg status``."""
    by_status: dict[str, int] = {key: n for key, n in session.execute(
        select(Photo.status, func.count()).where(Photo.duplicate_of.is_(None)).group_by(Photo.status))}
    duplicates = session.scalar(select(func.count()).where(Photo.duplicate_of.is_not(None))) or 0
    faces = session.scalar(select(func.count()).select_from(Face).where(Face.ignored.is_(False))) or 0
    people = session.scalar(select(func.count()).select_from(Person)) or 0
    has_face = (select(Assignment.face_id).join(Face, Face.id == Assignment.face_id)
                .where(Assignment.cluster_id == Cluster.id, Face.ignored.is_(False)).exists())
    clusters = session.scalar(select(func.count()).select_from(Cluster)
                              .where(Cluster.active.is_(True), has_face)) or 0
    unassigned = session.scalar(select(func.count()).select_from(Face)
                                .outerjoin(Assignment, Assignment.face_id == Face.id)
                                .where(Assignment.face_id.is_(None), Face.ignored.is_(False))) or 0
    reviews = count_pending_reviews(session)
    return StatusCounts(
        photos_total=sum(by_status.values()), done=by_status.get(PhotoStatus.DONE, 0),
        error=by_status.get(PhotoStatus.ERROR, 0), missing=by_status.get(PhotoStatus.MISSING, 0),
        pending=by_status.get(PhotoStatus.PENDING, 0), faces=faces, people=people, clusters=clusters,
        unassigned=unassigned, review_items=reviews, duplicates=duplicates)


def pending_reviews(*columns: Any) -> Select[Any]:
    """Suggestions still waiting for an answer: their face is not ignored and belongs to no
    person, or photo metadata asks whether a named face is somebody else (source "metadata",
    see :mod:`core.metadata.library_sync`). The review queue and the count beside it use this
    one filter."""
    return (select(*columns).select_from(ReviewItem).join(Face, Face.id == ReviewItem.face_id)
            .outerjoin(Assignment, Assignment.face_id == ReviewItem.face_id)
            .where(Face.ignored.is_(False), or_(Assignment.person_id.is_(None), and_(
                ReviewItem.source == "metadata", Assignment.person_id != ReviewItem.person_id))))


def count_pending_reviews(session: Session) -> int:
    """How many suggestions :func:`core.library.review.review_queue` would list without a limit."""
    return session.scalar(pending_reviews(func.count())) or 0


def import_errors(session: Session) -> list[PhotoInfo]:
    """Photos that failed to import, with their error message, by path."""
    stmt = (select(*_photo_columns(session))
            .where(Photo.duplicate_of.is_(None), Photo.status == PhotoStatus.ERROR).order_by(Photo.path))
    return [PhotoInfo(*row) for row in session.execute(stmt)]


def scan_problems(session: Session) -> list[tuple[str, str]]:
    """(path, reason) of what the last scans of the imported folders could not read: broken
    links, unreadable folders, special files (see ``import_writer.SCAN_PROBLEMS_KEY``), by path."""
    meta = session.get(LibraryMeta, "scan_problems")
    value = meta.value if meta is not None and isinstance(meta.value, dict) else {}
    return sorted((str(path), str(reason)) for path, reason in value.items())


@dataclass(frozen=True)
class StaleFace:
    """A face the user named that was not found again when its photo changed (see
    ``import_writer.STALE_FACES_KEY``): it keeps its name until the user checks it."""

    face_id: int
    photo_path: str
    person_id: int | None
    person_name: str | None


def stale_faces(session: Session) -> list[StaleFace]:
    """Named faces to check: still there, still the user's, and not assigned again since (rejected,
    deleted or confirmed ones drop out)."""
    meta = session.get(LibraryMeta, "stale_faces")
    value = meta.value if meta is not None and isinstance(meta.value, dict) else {}
    since = {int(k): datetime.fromisoformat(v["since"]) for k, v in value.items() if isinstance(v, dict)}
    if not since:
        return []
    stmt = (select(Face.id, local_path(session), Assignment.person_id, Person.name, Assignment.updated_at)
            .join(Photo, Photo.id == Face.photo_id)
            .join(Assignment, Assignment.face_id == Face.id)
            .outerjoin(Person, Person.id == Assignment.person_id)
            .where(Face.id.in_(sorted(since)), Assignment.source == AssignmentSource.USER).order_by(Face.id))
    return [StaleFace(*row[:4]) for row in session.execute(stmt) if row[4] <= since[row[0]]]
