"""The library schema: typed SQLAlchemy 2.0 models, no logic.

Conventions
-----------
* Timestamps are naive UTC (``utcnow()``), except ``Photo.taken_at``: the camera's
  local time as written in EXIF, also naive.
* Paths: a photo's file is ``(root_id, path)``: ``path`` relative to the library root
  ``root_id`` (``LibraryRoot``, revision 0004), with "/" separators, so that computers that
  mount the photos at different places share one library (each maps the root's name to its
  own folder: :mod:`core.library.roots`). ``root_id`` NULL: ``path`` is absolute (rows
  written without a root).
* Duplicates: every file path gets its own ``Photo`` row, so a re-scan can tell a
  known path from a new one. When a file has the same ``content_hash`` as a photo
  already imported, the new row gets ``duplicate_of`` = that photo's id, status
  "done" and no faces: the faces of a picture are stored once, on the first path.
  Queries list only photos with ``duplicate_of IS NULL``.
* Assignment: at most one per face. A row says the face belongs to exactly one of a
  named ``Person`` or an unnamed ``Cluster`` (CHECK constraint); no row means the
  face is unassigned. ``source`` says who decided: "user" (never overridden by
  automatic code), "recognizer" or "clusterer".
* Ignored faces keep their assignment but are left out of counts, covers and lists.
* Person names are unique ignoring case: ``name_key`` (the name case-folded, see
  ``core.library.people.name_key``) carries the UNIQUE index. Only the user
  operations in ``core.library.people`` create, rename, merge or delete people.
* Persons are never deleted by a cascade: ``assignments.person_id`` has no ON DELETE
  action, so deleting a person that still has faces fails.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.storage.fspath import FsPath
from core.storage.states import AssignmentSource, PhotoStatus
from core.storage.vector_column import NN_DIM, VectorBytes

PHOTO_STATUSES: tuple[str, ...] = tuple(s.value for s in PhotoStatus)
ASSIGNMENT_SOURCES: tuple[str, ...] = tuple(s.value for s in AssignmentSource)
CONSTRAINT_KINDS = ("not_person", "not_cluster", "cannot_link", "must_link")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC now, the library's timestamp convention."""
    return datetime.now(UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every model here maps one Table (SQLAlchemy types it as FromClause)


class LibraryRoot(Base):
    """A named folder that photo paths are relative to (revision 0004). ``path``: where it was
    when it was made (or last mapped), a hint only: each computer maps ``name`` to its own
    folder (:mod:`core.library.roots`), and without a mapping uses ``path`` if it exists there."""

    __tablename__ = "library_roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str | None] = mapped_column(FsPath)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint(_in("status", PHOTO_STATUSES), name="status"),
        UniqueConstraint("root_id", "path"),
        # Listing by date and counting by status, duplicates left out: covering indexes.
        Index("ix_photos_listing", "duplicate_of", "taken_at", "path"),
        Index("ix_photos_status", "duplicate_of", "status", "path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("library_roots.id"))
    path: Mapped[str] = mapped_column(FsPath)  # relative to the root; any bytes: see core.storage.fspath
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())
    status: Mapped[str] = mapped_column(String(16), default=PhotoStatus.PENDING.value,
                                        server_default=PhotoStatus.PENDING.value)
    error: Mapped[str | None] = mapped_column(FsPath)  # a reason may quote a file name (any bytes)
    face_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    # The database cascades deletes; the ORM leaves it to it (no UPDATE ... SET photo_id=NULL).
    faces: Mapped[list[Face]] = relationship(back_populates="photo", cascade="all, delete-orphan",
                                             passive_deletes=True)


class Face(Base):
    __tablename__ = "faces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    w: Mapped[float] = mapped_column(Float)
    h: Mapped[float] = mapped_column(Float)
    landmarks: Mapped[list[float] | None] = mapped_column(JSON)  # 10 floats: 5 (x, y) points
    score: Mapped[float] = mapped_column(Float)
    quality_size: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    quality_sharpness: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    ignored: Mapped[bool] = mapped_column(default=False, server_default=false())
    manual: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())

    photo: Mapped[Photo] = relationship(back_populates="faces")
    assignment: Mapped[Assignment | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Embedding(Base):
    """One face's vector from one model. The key starts with the model so that a model's
    vectors are read in face order without sorting; face_id is indexed for the cascade."""

    __tablename__ = "embeddings"
    __table_args__ = (
        PrimaryKeyConstraint("model_id", "face_id"),
        # PostgreSQL only: nearest-neighbour index on the 512-d rows (see core.storage.vector_column).
        Index("ix_embeddings_hnsw", text(f"(vector::vector({NN_DIM})) vector_l2_ops"), postgresql_using="hnsw",
              postgresql_with={"m": 32, "ef_construction": 200},
              postgresql_where=text(f"dim = {NN_DIM}")).ddl_if(dialect="postgresql"),
    )

    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[str] = mapped_column(String(64))
    # little-endian float32 (see embeddings.pack); pgvector ``vector`` on PostgreSQL
    vector: Mapped[bytes] = mapped_column(VectorBytes)
    dim: Mapped[int] = mapped_column(Integer)


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    cover_face_id: Mapped[int | None] = mapped_column(
        ForeignKey("faces.id", ondelete="SET NULL"), index=True)  # user's choice (revision 0002)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class Cluster(Base):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true(), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (cluster_id IS NULL)", name="person_xor_cluster"),
        CheckConstraint(_in("source", ASSIGNMENT_SOURCES), name="source"),
    )

    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class FaceConstraint(Base):
    """A user's statement about a face: "not_person" (person_id set), "not_cluster"
    (cluster_id set), "cannot_link" / "must_link" (other_face_id set)."""

    __tablename__ = "face_constraints"
    __table_args__ = (CheckConstraint(_in("kind", CONSTRAINT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    other_face_id: Mapped[int | None] = mapped_column(
        ForeignKey("faces.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class ReviewItem(Base):
    """A suggestion for the user: "is this face <person>?"."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("face_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    distance: Mapped[float] = mapped_column(Float)
    # "recognizer" (replaced at each grouping) or "metadata" (photo metadata disagrees with the
    # library, or a name-only tag on a photo of several faces: stays until answered); revision 0003
    source: Mapped[str] = mapped_column(String(16), default="recognizer", server_default="recognizer")
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class Operation(Base):
    """One user operation, with the row states needed to undo and redo it."""

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())
    undone: Mapped[bool] = mapped_column(default=False, server_default=false())


class LibraryMeta(Base):
    """Key/value settings: active model id, thresholds, ..."""

    __tablename__ = "library_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class MetadataSource(Base):
    """The XMP last read for a photo (revision 0003): ``signature`` is the photo's content hash
    and its sidecars' sizes and mtimes, so a re-import reads again only what changed;
    ``skipped``: the regions we could not use, as ``[{"name", "reason"}]``; ``source``: the
    file whose XMP won (see :mod:`core.metadata.sidecars`)."""

    __tablename__ = "metadata_sources"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    signature: Mapped[str] = mapped_column(FsPath)  # holds sidecar paths: any bytes (core.storage.fspath)
    source: Mapped[str | None] = mapped_column(FsPath)
    skipped: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.current_timestamp())


class FaceMetadata(Base):
    """Where a face's name came from when photo metadata named it (revision 0003). The face's
    assignment has source "user" (a name from metadata is the user's own naming); this row
    records that it came from metadata: ``name`` as read, ``origin`` "region" or "tag" (a
    name-only tag on a one-face photo), ``created``: the region had no detected face, so
    the face was made from the region box."""

    __tablename__ = "face_metadata"

    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16))
    created: Mapped[bool] = mapped_column(default=False, server_default=false())
