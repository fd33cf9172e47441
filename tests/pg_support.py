"""A real PostgreSQL + pgvector for the tests, from the ``pgserver`` wheel (no system service).

``PgTestServer.start()`` runs the server in a fresh temporary folder on a unix socket.
Run as root (CI), pgserver runs PostgreSQL as a system user ``pgserver`` (creating it with
``useradd`` the first time, since PostgreSQL refuses to run as root) and opens the folders
above its data folder to others (``o+rx``); the suite therefore puts the data folder in a
folder of its own under the system temp dir, not in pytest's private ``tmp_path``. Where
pgserver is missing or the server cannot start, the PostgreSQL runs skip with the reason.
``FACEORG_TEST_PG_URL`` (a superuser URL) uses an existing server instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


@dataclass
class PgTestServer:
    url: str  # superuser URL of the maintenance database
    folder: Path | None = None
    handle: Any = None
    error: str | None = None
    _names: Any = field(default_factory=itertools.count)

    @classmethod
    def start(cls) -> PgTestServer:
        external = os.environ.get("FACEORG_TEST_PG_URL")
        if external:
            return cls(external)
        try:
            import pgserver
        except ImportError as exc:
            return cls("", error=f"pgserver not installed ({exc}); pip install '.[postgres]'")
        folder = Path(tempfile.mkdtemp(prefix="faceorg-pg-"))
        try:
            handle = pgserver.get_server(folder / "data", cleanup_mode="stop")
            url = handle.get_uri()
        except Exception as exc:  # no server here: the PostgreSQL runs skip with this reason
            shutil.rmtree(folder, ignore_errors=True)
            return cls("", error=f"PostgreSQL (pgserver) could not start: {type(exc).__name__}: {exc}")
        return cls(url, folder, handle)

    def _admin(self) -> Any:
        if self.error:
            pytest.skip(self.error)
        return create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        """A new, empty database; its URL (pgserver's unix-socket form)."""
        name = f"faceorg_test_{os.getpid()}_{next(self._names)}"
        engine = self._admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        engine = self._admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cleanup()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
