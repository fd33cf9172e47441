"""Opening libraries: creation through Alembic, pragmas, sessions, read-only, cascades."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.storage.embeddings import save_embeddings
from core.storage.engine import (
    PAGE_SIZE,
    LibraryVersionError,
    begin_write,
    head_revision,
    open_library,
)
from core.storage.schema import (
    Assignment,
    Base,
    Embedding,
    Face,
    FaceConstraint,
    Person,
    Photo,
    ReviewItem,
)


def test_new_library_is_created_by_migrations_and_stamped_at_head(library):
    with library.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        if library.backend == "postgresql":
            indexdef = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_embeddings_hnsw'"))
            assert "USING hnsw" in indexdef and "vector_l2_ops" in indexdef and "(dim = 512)" in indexdef
            assert "m='32'" in indexdef and "ef_construction='200'" in indexdef
            return
        assert conn.scalar(text("PRAGMA page_size")) == PAGE_SIZE
    assert library.path.is_file()


@pytest.mark.sqlite_only
def test_every_connection_has_wal_foreign_keys_and_busy_timeout(library):
    for _ in range(2):  # two pooled connections, each configured on connect
        with library.engine.connect() as conn:
            assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert conn.scalar(text("PRAGMA foreign_keys")) == 1
            assert conn.scalar(text("PRAGMA busy_timeout")) > 0


def test_default_path_comes_from_faceorg_library(tmp_path, monkeypatch):
    target = tmp_path / "sub dir" / "my library.sqlite"
    monkeypatch.setenv("FACEORG_LIBRARY", str(target))
    with open_library() as lib:
        assert lib.path == target
    assert target.is_file()


def test_session_commits_on_success_and_rolls_back_on_error(library):
    with library.session() as s:
        s.add(Person(name="Ann", name_key="ann"))
    with pytest.raises(RuntimeError), library.session() as s:
        s.add(Person(name="Bob", name_key="bob"))
        s.flush()
        raise RuntimeError("boom")
    with library.session() as s:
        assert s.scalars(select(Person.name)).all() == ["Ann"]


def test_person_name_key_is_unique(library):
    with library.session() as s:
        s.add(Person(name="Ann", name_key="ann"))
    with pytest.raises(IntegrityError), library.session() as s:
        s.add(Person(name="ANN", name_key="ann"))


def test_assignment_is_person_xor_cluster(library, factory):
    with pytest.raises(IntegrityError), library.session() as s:
        (face,) = factory.faces(s, 1)
        s.add(Assignment(face_id=face, source="user"))


def test_deleting_a_photo_cascades_to_faces_and_everything_about_them(library, factory):
    with library.session() as s:
        a, b = factory.photo(s, faces=2)
        (other,) = factory.faces(s, 1)
        ann = Person(name="Ann", name_key="ann")
        s.add(ann)
        s.flush()
        ann.cover_face_id = a
        s.add_all([Assignment(face_id=a, person_id=ann.id, source="user"),
                   FaceConstraint(face_id=b, kind="not_person", person_id=ann.id),
                   FaceConstraint(face_id=other, kind="cannot_link", other_face_id=b),
                   ReviewItem(face_id=b, person_id=ann.id, distance=0.5)])
        save_embeddings(s, "m", [(a, [1.0, 0.0]), (b, [0.0, 1.0]), (other, [1.0, 1.0])])
        photo_id = s.get(Face, a).photo_id
    with library.session() as s:
        s.execute(Photo.__table__.delete().where(Photo.id == photo_id))
    with library.session() as s:
        assert s.scalars(select(Face.id)).all() == [other]
        assert s.scalar(select(func.count()).select_from(Assignment)) == 0
        assert s.scalar(select(func.count()).select_from(FaceConstraint)) == 0
        assert s.scalar(select(func.count()).select_from(ReviewItem)) == 0
        assert s.scalars(select(Embedding.face_id)).all() == [other]
        person = s.scalars(select(Person)).one()  # people are never deleted by a cascade
        assert person.cover_face_id is None


def test_orm_delete_of_a_loaded_photo_leaves_the_cascade_to_the_database(library, factory):
    with library.session() as s:
        (face,) = factory.faces(s, 1)
        factory.cluster(s, [face])
    with library.session() as s:
        photo = s.scalars(select(Photo)).one()
        assert photo.faces[0].assignment is not None  # loaded
        s.delete(photo)
    with library.session() as s:
        assert s.scalar(select(func.count()).select_from(Face)) == 0
        assert s.scalar(select(func.count()).select_from(Assignment)) == 0


def test_a_person_with_faces_cannot_be_deleted(library, factory):
    with library.session() as s:
        (face,) = factory.faces(s, 1)
        ann = Person(name="Ann", name_key="ann")
        s.add(ann)
        s.flush()
        s.add(Assignment(face_id=face, person_id=ann.id, source="user"))
    with pytest.raises(IntegrityError), library.session() as s:
        s.execute(Person.__table__.delete())


@pytest.mark.sqlite_only
def test_begin_write_takes_the_write_lock_at_once(library):
    with library.session() as s:
        begin_write(s)
        begin_write(s)  # no-op the second time
        other = sqlite3.connect(library.path, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO clusters (active) VALUES (1)")
        finally:
            other.close()


def test_read_only_open_reads_but_never_writes(library, factory):
    with library.session() as s:
        factory.faces(s, 2)
    library.close()
    with open_library(library.location, read_only=True) as ro:
        assert ro.lock is None
        with ro.session() as s:
            assert s.scalar(select(func.count()).select_from(Face)) == 2
        with pytest.raises(DBAPIError), ro.session() as s:  # SQLite: OperationalError; PostgreSQL: InternalError
            s.execute(text("DELETE FROM faces"))
    with open_library(library.location) as lib, lib.session() as s:
        assert s.scalar(select(func.count()).select_from(Face)) == 2


def test_read_only_needs_an_existing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_library(tmp_path / "nothing.sqlite", read_only=True)
    assert not (tmp_path / "nothing.sqlite").exists()


def test_foreign_and_newer_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE stuff (x)")
    with pytest.raises(LibraryVersionError, match="not a FaceNet Organizer library"):
        open_library(foreign)

    newer = tmp_path / "newer.sqlite"
    open_library(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(LibraryVersionError, match="newer"):
        open_library(newer)
    with pytest.raises(LibraryVersionError, match="newer"):
        open_library(newer, read_only=True)


def test_close_releases_the_lock_so_the_library_reopens(tmp_path: Path):
    path = tmp_path / "lib.sqlite"
    open_library(path).close()
    with open_library(path) as lib:
        assert lib.lock is not None and lib.lock.held
