"""docs/scaling.md's least-privilege setup works as written: a login role that is no superuser and
owns only the library's schema creates the library (the migrations), imports rows, names
people and finds nearest faces; it cannot touch the public schema."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from core.library import people
from core.storage.embeddings import save_embeddings
from core.storage.engine import open_library
from core.storage.nearest import nearest_faces


def test_a_role_that_owns_only_its_schema_runs_the_library(pg_server: Any, factory: Any) -> None:
    url = pg_server.create_database()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # as in docs/scaling.md, step 2 (the administrator, once)
        conn.exec_driver_sql("DROP ROLE IF EXISTS faceorg_test")
        conn.exec_driver_sql("CREATE ROLE faceorg_test LOGIN")
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.exec_driver_sql("CREATE SCHEMA photos AUTHORIZATION faceorg_test")
        conn.exec_driver_sql("ALTER ROLE faceorg_test SET search_path = photos, public")
        assert not conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = 'faceorg_test'"))
    role_url = make_url(url).set(username="faceorg_test", password=None).render_as_string(hide_password=False)
    try:
        with open_library(role_url) as lib:
            with lib.session() as s:
                faces = factory.faces(s, 3)
                vectors = np.eye(3, 512, dtype=np.float32)
                save_embeddings(s, "m", list(zip(faces, vectors, strict=True)))
                people.assign_faces(s, faces[:2], "Ann")
            with lib.session() as s:
                ids, _ = nearest_faces(s, "m", vectors[1], k=1)
                assert ids.tolist() == [faces[1]]
                assert s.scalar(text("SELECT current_schema()")) == "photos"
                with pytest.raises(ProgrammingError, match="permission denied"):
                    s.execute(text("CREATE TABLE public.sneaky (x int)"))
        with admin.connect() as conn:
            tables = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'photos'"))}
            assert {"photos", "faces", "embeddings", "library_roots", "alembic_version"} <= tables
            assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) == 0
    finally:
        admin.dispose()
        pg_server.drop_database(url)
        cleanup = create_engine(pg_server.url, isolation_level="AUTOCOMMIT")
        with cleanup.connect() as conn:
            conn.exec_driver_sql("DROP ROLE IF EXISTS faceorg_test")
        cleanup.dispose()
