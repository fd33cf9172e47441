"""Shared fixtures. Tests never touch the user's real data: FACEORG_DATA, FACEORG_LIBRARY and
FACEORG_CONFIG (this computer's root mappings) point into temporary folders; FACEORG_CACHE
(converted model weights, slow to make) defaults to a persistent, git-ignored ``.pytest_cache/faceorg-cache``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pg_support import PgTestServer
from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.storage.engine import Library, open_library
from core.storage.schema import Assignment, Cluster, Face, Photo

REPO = Path(__file__).resolve().parents[1]  # the repository (on sys.path by pyproject's pythonpath)


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    data = tmp_path_factory.mktemp("faceorg-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FACEORG_DATA", str(data))
        mp.setenv("FACEORG_LIBRARY", str(data / "library.sqlite"))
        mp.setenv("FACEORG_CONFIG", str(tmp_path_factory.mktemp("faceorg-config")))
        if not os.environ.get("FACEORG_CACHE"):
            mp.setenv("FACEORG_CACHE", str(REPO / ".pytest_cache" / "faceorg-cache"))
        yield


BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backends", default=os.environ.get("FACEORG_TEST_BACKENDS", ",".join(BACKENDS)),
                     help="library backends the library-level tests run on (comma-separated; default both)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests using ``library`` or ``library_location`` run once per backend, except those
    marked ``sqlite_only`` (what they test is the SQLite file: WAL, the file lock, PRAGMAs)."""
    if "backend" in metafunc.fixturenames:
        chosen = [b.strip() for b in metafunc.config.getoption("--backends").split(",") if b.strip()]
        if metafunc.definition.get_closest_marker("sqlite_only"):
            chosen = ["sqlite"]
        metafunc.parametrize("backend", [b for b in BACKENDS if b in chosen], scope="function")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgTestServer]:
    """A real PostgreSQL 16 + pgvector (the ``pgserver`` wheel) for the whole session, in a
    fresh temporary folder, on a unix socket; stopped and deleted at the end. Skips (with
    the reason) the PostgreSQL runs only where it cannot start. See docs/scaling.md "Tests"
    for what pgserver does when run as root."""
    server = PgTestServer.start()
    yield server
    server.stop()


@pytest.fixture
def library_location(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> str:
    """Where a fresh library goes, on this test's backend: a file path in ``tmp_path``, or
    the URL of a new, empty PostgreSQL database (dropped after the test)."""
    if backend == "sqlite":
        return str(tmp_path / "library.sqlite")
    server: PgTestServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return url


@pytest.fixture
def library(library_location: str) -> Iterator[Library]:
    """A fresh, empty, writable library, on each backend (``backend``)."""
    lib = open_library(library_location)
    yield lib
    lib.close()


class LibraryFactory:
    """Adds minimal photos, faces and clusters for tests (no images involved)."""

    def __init__(self) -> None:
        self._photos = 0

    def photo(self, session: Session, faces: int = 1, *, taken_at: datetime | None = None,
              status: str = "done", path: str | None = None) -> list[int]:
        """One photo with ``faces`` faces (quality rising with index); the face ids."""
        self._photos += 1
        photo = Photo(path=path or f"/photos/{self._photos:05d}.jpg", size=1000, mtime=0.0,
                      content_hash=f"{self._photos:064x}", width=640, height=480, taken_at=taken_at,
                      status=status, face_count=faces)
        session.add(photo)
        session.flush()
        if not faces:
            return []
        ids = session.scalars(insert(Face).returning(Face.id), [
            {"photo_id": photo.id, "x": 10.0 * i, "y": 0.0, "w": 50.0, "h": 50.0, "score": 0.99,
             "quality_size": 50.0 + i, "quality_sharpness": 100.0} for i in range(faces)]).all()
        return list(ids)

    def faces(self, session: Session, n: int) -> list[int]:
        """``n`` faces, one photo each."""
        return [f for _ in range(n) for f in self.photo(session)]

    def cluster(self, session: Session, face_ids: list[int]) -> int:
        """An active cluster holding ``face_ids`` (source "clusterer")."""
        cluster = Cluster()
        session.add(cluster)
        session.flush()
        session.execute(insert(Assignment), [
            {"face_id": f, "cluster_id": cluster.id, "source": "clusterer", "confidence": 0.9}
            for f in face_ids])
        return cluster.id


@pytest.fixture
def factory() -> LibraryFactory:
    """Builds photos, faces and clusters in a session."""
    return LibraryFactory()
