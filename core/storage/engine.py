"""Opening a library: the SQLite engine, sessions, the writer lock and migrations.

A library can also live in PostgreSQL (``--library postgresql://…``): ``open_library``
hands such URLs to the delimited PostgreSQL branch below (:mod:`core.storage.postgres`:
engine, writer and import leases instead of the file lock). Everything else here is SQLite.

A library is one SQLite file in WAL mode. ``open_library()`` takes the writer lock,
creates the file through Alembic (``upgrade head``) or upgrades an older one (after
saving a backup copy beside it), and returns a :class:`Library`. Use one Session per
unit of work, never shared across threads::

    with open_library() as lib, lib.session() as session:
        ...

New schema revision (developers)::

    from alembic import command
    command.revision(alembic_config(url="sqlite:///scratch.sqlite"), "what changed",
                     autogenerate=True)
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from core.paths import default_library_path
from core.progress import CancelToken, ProgressFn
from core.storage import postgres
from core.storage.errors import (
    LibraryError,
    LibraryVersionError,
    is_folder,
    library_error,
    not_a_library,
    read_only_folder,
)
from core.storage.lock import LibraryLock, check_delegation
from core.storage.postgres import DatabaseLocation

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
PAGE_SIZE = 16_384

#: Tables every library has: a file with tables but without these is another program's.
MARKER_TABLES = frozenset({"alembic_version", "library_meta", "photos"})

__all__ = ["Library", "LibraryError", "LibraryVersionError", "alembic_config", "begin_write",
           "current_revision", "head_revision", "open_library"]


@dataclass(eq=False)
class Library:
    """An open library: engine, session factory and (when writable) the writer lock, or the
    pid of the parent process whose lock this process writes under (``delegated_from``).
    ``path`` is the file, or for a PostgreSQL library its :class:`DatabaseLocation` (which
    prints with the password masked)."""

    path: Path | DatabaseLocation
    engine: Engine
    sessionmaker: sessionmaker[Session]
    read_only: bool = False
    lock: LibraryLock | None = None
    delegated_from: int | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A Session for one unit of work: committed on success, rolled back on error."""
        with self.sessionmaker.begin() as session:
            yield session

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "postgresql" if isinstance(self.path, DatabaseLocation) else "sqlite"

    @property
    def location(self) -> str:
        """What ``open_library`` takes to open this library again (for a URL: with its password;
        never print it, print ``path``)."""
        return self.path.url if isinstance(self.path, DatabaseLocation) else str(self.path)

    def import_lease(self, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> contextlib.AbstractContextManager[None]:
        """Held by an import for its whole run: on PostgreSQL, waits while another process
        imports into this library; on SQLite the writer lock already excludes that."""
        if self.backend == "postgresql" and not self.read_only:
            return postgres.import_lease(self.engine, progress=progress, cancel=cancel)
        return nullcontext()

    def close(self) -> None:
        """Close all connections and release the writer lock."""
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_library(path: Path | str | DatabaseLocation | None = None, *, read_only: bool = False,
                 delegated_from: int | None = None) -> Library:
    """Open (creating or upgrading if needed) the library at ``path``.

    ``path`` defaults to ``core.paths.default_library_path()`` (``FACEORG_LIBRARY``).
    Writable opens hold the writer lock (``LibraryLockedError`` if another process has
    it). ``read_only=True`` takes no lock, never writes, and requires an up-to-date file.
    ``delegated_from=PID``: write under the lock that process ``PID``, this process's parent,
    holds now (:func:`core.storage.lock.check_delegation`; ``DelegationRefusedError``, a
    ``LibraryLockedError``, otherwise); the file must be up to date and is never upgraded.

    ``path`` may be a PostgreSQL URL (also in ``FACEORG_LIBRARY``): see :func:`_open_database`.
    """
    if path is None and postgres.is_database_url(os.environ.get("FACEORG_LIBRARY")):
        path = os.environ["FACEORG_LIBRARY"]
    if isinstance(path, DatabaseLocation) or postgres.is_database_url(path):
        location = path if isinstance(path, DatabaseLocation) else DatabaseLocation(str(path))
        return _open_database(location, read_only=read_only, delegated_from=delegated_from)
    path = Path(path if path is not None else default_library_path()).expanduser().resolve()
    if path.is_dir():
        raise is_folder(path)
    try:
        return _open(path, read_only, delegated_from)
    except (OSError, DBAPIError, sqlite3.Error) as exc:
        error = library_error(exc, path)
        if error is None:
            raise
        raise error from None


def _open(path: Path, read_only: bool, delegated_from: int | None) -> Library:
    if read_only or delegated_from is not None:
        if not path.is_file():
            raise FileNotFoundError(f"No library at {path}")
        inspect_read_only(path)
        if delegated_from is not None:
            check_delegation(path, delegated_from)
        engine = _prepared_engine(path, read_only, _check_up_to_date)
        return Library(path, engine, _sessionmaker(engine), read_only=read_only, delegated_from=delegated_from)

    if path.is_file() and path.stat().st_size > 0:
        inspect_read_only(path)  # never write to a file before it is known to be ours
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = LibraryLock.acquire(path)
    try:
        engine = _prepared_engine(path, False, _upgrade)
    except BaseException:
        lock.release()
        raise
    return Library(path, engine, _sessionmaker(engine), lock=lock)


def inspect_read_only(path: Path) -> None:
    """Raise ``NotALibraryError`` (or ``LibraryVersionError`` for a newer library) unless the
    file at ``path`` is empty or a library, reading it through a read-only connection only."""
    try:
        connection = _connect_read_only(path)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = None
            if "alembic_version" in tables:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            connection.close()
    except sqlite3.Error as exc:
        error = library_error(exc, path)
        raise (error or not_a_library(path, str(exc))) from None
    if tables and not MARKER_TABLES <= tables:
        raise not_a_library(path)
    if revision is not None and revision not in _known_revisions():
        raise LibraryVersionError(
            f"{path} was written by a newer FaceNet Organizer (schema {revision}); please update")


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; in a folder this process cannot write (where SQLite cannot make
    the WAL index file) the file is opened as immutable, as nobody can be writing to it."""
    uri = path.as_uri() + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc) or not read_only_folder(path):
            raise
    return sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)


def _prepared_engine(path: Path, read_only: bool, prepare: Callable[[Engine, Path], None]) -> Engine:
    """An engine on ``path`` after ``prepare(engine, path)`` (check or upgrade the schema); disposed
    again when that fails."""
    engine = _create_engine(path, read_only=read_only)
    try:
        prepare(engine, path)
    except BaseException:
        engine.dispose()
        raise
    return engine


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction now (``BEGIN IMMEDIATE``).

    Call it first in read-modify-write operations so that what they read cannot change
    before they write. A no-op when the transaction is already open. On PostgreSQL: take
    the library's writer lease for this transaction (waits for the writer that has it).
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        postgres.take_write_lease(connection)
        return
    raw = connection.connection.driver_connection
    assert raw is not None  # an open connection has its sqlite3 connection
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """A programmatic Alembic config (no alembic.ini) for this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this version of the app knows."""
    head = _script().get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the database, or None for an empty or foreign file."""
    return MigrationContext.configure(connection).get_current_revision()


def _sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _create_engine(path: Path, *, read_only: bool) -> Engine:
    if read_only:
        engine = create_engine("sqlite://", poolclass=QueuePool, creator=lambda: _connect_read_only(path))
    else:
        engine = create_engine(URL.create("sqlite", database=str(path)))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            # Big pages for 2 KB embedding rows (takes effect only in a new, empty file).
            cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def _known_revisions() -> set[str]:
    return {rev.revision for rev in _script().walk_revisions()}


def _check_revision(connection: Connection, path: Path | DatabaseLocation) -> str | None:
    current = current_revision(connection)
    if current is None and inspect(connection).get_table_names():
        raise not_a_library(path)
    if current is not None and current not in _known_revisions():
        raise LibraryVersionError(
            f"{path} was written by a newer FaceNet Organizer (schema {current}); please update")
    return current


def _check_up_to_date(engine: Engine, path: Path | DatabaseLocation) -> None:
    with engine.connect() as connection:
        current = _check_revision(connection, path)
    if current != head_revision():
        raise LibraryVersionError(
            f"{path} has schema {current}, this version needs {head_revision()}: "
            "open it once for writing to upgrade it")


def _upgrade(engine: Engine, path: Path) -> None:
    """Bring the file to head in one transaction, foreign keys off (batch table copies)."""
    with engine.connect() as connection:
        current = _check_revision(connection, path)
        if current == head_revision():
            return
        if current is not None:
            _backup(connection, path.with_name(f"{path.name}.backup-{current}"))
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            command.upgrade(alembic_config(connection), "head")
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise LibraryVersionError(f"Upgrading {path} broke foreign keys: {broken[:5]}")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _backup(connection: Connection, target: Path) -> None:
    """Copy the whole database to ``target`` (SQLite online backup) before a migration."""
    source = connection.connection.driver_connection
    assert source is not None  # an open connection has its sqlite3 connection
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()


# -- PostgreSQL ------------------------------------------------------------------------------
def _open_database(location: DatabaseLocation, *, read_only: bool, delegated_from: int | None) -> Library:
    """Open a PostgreSQL library. Writable opens create or upgrade its schema under the writer
    lease (so two first opens at once cannot both migrate); several processes may have it open
    for writing at once (see :mod:`core.storage.postgres`). ``delegated_from`` needs no lock
    check there: the parent holds no process-wide lock, so the child simply writes as itself,
    but like a read-only open it never upgrades."""
    engine = postgres.create_pg_engine(location, read_only=read_only)
    try:
        if read_only or delegated_from is not None:
            _check_up_to_date(engine, location)
        else:
            with engine.connect() as connection:
                postgres.take_write_lease(connection)
                if _check_revision(connection, location) != head_revision():
                    command.upgrade(alembic_config(connection), "head")
                connection.commit()
    except BaseException:
        engine.dispose()
        raise
    return Library(location, engine, _sessionmaker(engine), read_only=read_only, delegated_from=delegated_from)

