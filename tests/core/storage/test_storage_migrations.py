"""Migrations: an older library (revision 0001) is upgraded on open with its data kept, on
SQLite and on PostgreSQL (the same tests, through the backend-parametrised ``library_location``)."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select, text

from core.storage.engine import (
    LibraryVersionError,
    alembic_config,
    current_revision,
    head_revision,
    open_library,
)
from core.storage.postgres import DatabaseLocation, is_database_url, sqlalchemy_url
from core.storage.schema import Assignment, Base, Face, Person, Photo

FIRST = "0001"


def _engine(location: str) -> Engine:
    if is_database_url(location):
        return create_engine(sqlalchemy_url(DatabaseLocation(location)))
    return create_engine(f"sqlite:///{location}")


def _make_old_library(location: str) -> None:
    """A library as the first released version left it, filled with raw SQL."""
    engine = _engine(location)
    pg = engine.dialect.name == "postgresql"
    true, vector = ("true", "'[1]'") if pg else ("1", "x'0000803f'")
    with engine.connect() as conn:
        if not pg:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        command.upgrade(alembic_config(conn), FIRST)
        conn.commit()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO photos (id, path, size, mtime, content_hash, taken_at, status, face_count) "
            "VALUES (1, '/p/a.jpg', 10, 1.5, 'h1', '2020-05-01 10:00:00', 'done', 2),"
            "       (2, '/p/b.jpg', 20, 2.5, 'h2', NULL, 'error', 0)")
        conn.exec_driver_sql("UPDATE photos SET error = 'truncated file' WHERE id = 2")
        conn.exec_driver_sql(
            "INSERT INTO faces (id, photo_id, x, y, w, h, score, quality_size, quality_sharpness) "
            "VALUES (1, 1, 0, 0, 40, 40, 0.9, 40, 100), (2, 1, 50, 0, 40, 40, 0.8, 40, 50)")
        conn.exec_driver_sql(f"INSERT INTO embeddings VALUES (1, 'facenet', {vector}, 1)")
        conn.exec_driver_sql(f"INSERT INTO persons (id, name, name_key, hidden) VALUES (7, 'Zoë', 'zoë', {true})")
        conn.exec_driver_sql(f"INSERT INTO clusters (id, active) VALUES (3, {true})")
        conn.exec_driver_sql(
            "INSERT INTO assignments (face_id, person_id, cluster_id, source, confidence) "
            "VALUES (1, 7, NULL, 'user', NULL), (2, NULL, 3, 'clusterer', 0.7)")
        conn.exec_driver_sql(
            "INSERT INTO face_constraints (face_id, kind, person_id) VALUES (2, 'not_person', 7)")
        conn.exec_driver_sql("INSERT INTO library_meta VALUES ('model', '\"facenet\"')")
    engine.dispose()


def test_open_upgrades_a_revision_1_library_and_keeps_all_data(library_location, backend, tmp_path):
    _make_old_library(library_location)
    with open_library(library_location) as lib:
        with lib.engine.connect() as conn:
            assert current_revision(conn) == head_revision() != FIRST
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
            if backend == "sqlite":
                assert conn.scalar(text("PRAGMA integrity_check")) == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
                assert conn.scalar(text("PRAGMA foreign_keys")) == 1
            counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in (
                "photos", "faces", "embeddings", "persons", "clusters", "assignments",
                "face_constraints", "library_meta", "library_roots")}
            assert counts == {"photos": 2, "faces": 2, "embeddings": 1, "persons": 1, "clusters": 1,
                              "assignments": 2, "face_constraints": 1, "library_meta": 2, "library_roots": 1}
            # revision 0004: the photos' folder became a root ("p"), the paths relative to it
            assert conn.execute(text("SELECT name, path FROM library_roots")).all() == [("p", "/p")]
            assert conn.execute(text("SELECT path FROM photos ORDER BY id")).scalars().all() == ["a.jpg", "b.jpg"]
        with lib.session() as s:
            person = s.get(Person, 7)
            assert (person.name, person.name_key, person.hidden, person.cover_face_id) == \
                ("Zoë", "zoë", True, None)
            assert s.get(Photo, 2).error == "truncated file"
            assert str(s.get(Photo, 1).taken_at) == "2020-05-01 10:00:00"
            assert s.get(Assignment, 1).person_id == 7
            person.cover_face_id = 1  # the new column works, with its foreign key
            s.flush()
            s.execute(Face.__table__.delete().where(Face.id == 1))
            assert s.scalars(select(Person.cover_face_id)).one() is None
    if backend == "postgresql":
        return  # no backup copy: PostgreSQL upgrades in one transaction (back up with pg_dump)
    backup = tmp_path / "library.sqlite.backup-0001"
    with sqlite3.connect(backup) as conn:  # the pre-upgrade copy
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (FIRST,)
        assert conn.execute("SELECT count(*) FROM assignments").fetchone() == (2,)


def test_read_only_refuses_an_old_library_and_leaves_it_untouched(library_location):
    _make_old_library(library_location)
    with pytest.raises(LibraryVersionError, match="open it once for writing"):
        open_library(library_location, read_only=True)
    engine = _engine(library_location)
    with engine.connect() as conn:
        assert current_revision(conn) == FIRST
    engine.dispose()


def test_downgrade_to_revision_1_and_back(library_location):
    open_library(library_location).close()
    engine = _engine(library_location)
    with engine.connect() as conn:
        command.downgrade(alembic_config(conn), FIRST)
        conn.commit()
        assert current_revision(conn) == FIRST
    engine.dispose()
    with open_library(library_location) as lib, lib.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
