"""PostgreSQL libraries against a real server (pgserver): URL forms, password masking, the
writer lease (advisory locks), readers that never block, a crashed writer, the HNSW index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.storage.embeddings import save_embeddings
from core.storage.engine import begin_write, open_library
from core.storage.nearest import explain_nearest, nearest_faces
from core.storage.postgres import WRITE_LEASE, DatabaseLocation, is_database_url, mask_url, sqlalchemy_url
from core.storage.schema import Cluster, Person

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg_url(library_location: str, backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    return library_location


def _with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_url_forms_name_the_same_library(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_database_url(pg_url) and pg_url.startswith("postgresql://") and "host=" in pg_url  # pgserver's form
    with open_library(pg_url) as lib, lib.session() as s:
        s.add(Person(name="Ann", name_key="ann"))
    psycopg_form = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    with open_library(psycopg_form, read_only=True) as lib, lib.session() as s:
        assert s.query(Person.name).scalar() == "Ann"
    monkeypatch.setenv("FACEORG_LIBRARY", pg_url)
    with open_library() as lib:
        assert lib.backend == "postgresql" and lib.location == pg_url


def test_the_password_is_masked_everywhere(pg_url: str) -> None:
    url = _with_password(pg_url, "s3cret-pw")  # the test server trusts local sockets: any password works
    location = DatabaseLocation(url)
    assert "s3cret-pw" not in f"{location} {location!r} {str(location)}" and ":***@" in str(location)
    assert mask_url(f"see {url} and postgres://u:p@h/x") == f"see {location} and postgres://u:***@h/x"
    open_library(url).close()
    out = subprocess.run([sys.executable, "-m", "core.cli.main", "--library", url, "status"], cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "s3cret-pw" not in out.stdout + out.stderr and ":***@" in out.stdout
    bad = "postgresql://bob:s3cret-pw@localhost:1/nowhere?sslmode=disable"
    out = subprocess.run([sys.executable, "-m", "core.cli.main", "--library", bad, "status"], cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=120)
    assert out.returncode == 7 and "s3cret-pw" not in out.stdout + out.stderr
    assert out.stderr.startswith("faceorg: cannot use the library database") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def _other(url: str):  # a raw second session, as another computer would have
    return create_engine(sqlalchemy_url(DatabaseLocation(url)), isolation_level="AUTOCOMMIT")


def _lease_free(conn) -> bool:
    got = conn.scalar(text(f"SELECT pg_try_advisory_lock({WRITE_LEASE}, hashtext(current_schema()))"))
    if got:
        conn.execute(text(f"SELECT pg_advisory_unlock({WRITE_LEASE}, hashtext(current_schema()))"))
    return bool(got)


def test_begin_write_holds_the_writer_lease_until_commit_and_readers_never_block(pg_url: str) -> None:
    engine = _other(pg_url)
    with open_library(pg_url) as lib, open_library(pg_url, read_only=True) as reader, engine.connect() as other:
        with lib.session() as s:
            s.add(Cluster())
        with lib.session() as s:
            begin_write(s)
            s.add(Cluster())
            s.flush()
            assert not _lease_free(other)
            other.execute(text("SET statement_timeout = '2s'"))
            with reader.session() as r:  # a reader during an open write transaction: at once, last commit
                r.execute(text("SET LOCAL statement_timeout = '2s'"))
                assert r.query(Cluster).count() == 1
        assert _lease_free(other)
        with reader.session() as r:
            assert r.query(Cluster).count() == 2
    engine.dispose()


CRASHER = textwrap.dedent("""
    import sys, time
    from core.storage.engine import begin_write, open_library
    from core.storage.schema import Cluster
    lib = open_library(sys.argv[1])
    s = lib.sessionmaker()
    begin_write(s)
    s.add(Cluster())
    s.flush()
    print("holding", flush=True)
    time.sleep(600)
""")


def test_a_crashed_writer_loses_its_lease_and_its_uncommitted_rows(pg_url: str) -> None:
    open_library(pg_url).close()
    child = _python(CRASHER, pg_url)
    try:
        assert child.stdout.readline().strip() == "holding", child.stderr.read()
        engine = _other(pg_url)
        with engine.connect() as other:
            assert not _lease_free(other)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
            with open_library(pg_url) as lib, lib.session() as s:
                s.execute(text("SET LOCAL lock_timeout = '20s'"))  # the server notices the dead client
                begin_write(s)
                assert s.query(Cluster).count() == 0
        engine.dispose()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_nearest_faces_use_the_hnsw_index_and_match_the_exact_answer(pg_url: str, factory) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((400, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with open_library(pg_url) as lib:
        with lib.session() as s:
            ids = factory.faces(s, len(vectors))
            save_embeddings(s, "facenet", zip(ids, vectors, strict=True))
            save_embeddings(s, "small", [(ids[0], vectors[0][:128])])  # another dimension: outside the index
        with lib.session() as s:
            s.execute(text("ANALYZE embeddings"))
        query = vectors[5] + 0.05 * rng.standard_normal(512).astype(np.float32)
        with lib.session() as s:
            assert "Index Scan using ix_embeddings_hnsw" in explain_nearest(s, "facenet", query)
            assert "ix_embeddings_hnsw" not in explain_nearest(s, "facenet", query, exact=True)
            approx_ids, approx_d = nearest_faces(s, "facenet", query, 10, ef_search=100)
            exact_ids, exact_d = nearest_faces(s, "facenet", query, 10, exact=True)
        expected = np.argsort(np.linalg.norm(vectors - query, axis=1))[:10]
        assert list(exact_ids) == [ids[i] for i in expected]
        assert approx_ids[0] == ids[5] and len(set(approx_ids) & set(exact_ids)) >= 9
        np.testing.assert_allclose(exact_d, np.linalg.norm(vectors[expected] - query, axis=1), atol=1e-5)
        with lib.session() as s:  # stored vectors come back bit for bit
            from core.storage.embeddings import load_matrix
            got_ids, matrix = load_matrix(s, "facenet")
            assert np.array_equal(matrix, vectors) and list(got_ids) == ids
