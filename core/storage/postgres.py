"""Libraries on PostgreSQL (+ pgvector): URLs, password masking, the engine, the writer lease.

A PostgreSQL library is one database (its ``public`` schema, or the first schema on the
role's ``search_path``), named by a URL ``postgresql://…`` or ``postgresql+psycopg://…``;
pgserver's unix-socket form ``postgresql://postgres:@/postgres?host=/path`` works too. The
password comes from the URL, ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads both when the URL
has none); ``sslmode`` and other libpq parameters pass through from the URL's query.

Concurrency: many processes on many computers use one library at once. Readers never block
(MVCC). Writers take the **writer lease**, a transaction-level advisory lock keyed by the
library (:func:`take_write_lease`, called by ``core.storage.engine.begin_write``), so write
transactions run one at a time, as on SQLite; PostgreSQL drops it on commit, on rollback
and when a crashed writer's session dies. An import also holds the **import lease**, a
session-level advisory lock (:func:`import_lease`), so that two imports of one library run
one after the other and the second finds the work done.

The password never appears in a message: :class:`DatabaseLocation` prints masked, and
:func:`mask_url` masks any URL inside a text.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from core.progress import CancelToken, ProgressFn, report

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
# Advisory lock class ids ("FACE" and "FACF"); the object id is the hash of the library's schema.
WRITE_LEASE = 0x46414345
IMPORT_LEASE = 0x46414346
_KEY_SQL = "hashtext(current_schema())"
_URL_PASSWORD = re.compile(r"((?:postgres(?:ql)?(?:\+\w+)?)://[^:/@\s]*:)([^@\s]*)(@)")


def is_database_url(location: object) -> bool:
    """Whether ``location`` (a string) names a PostgreSQL library rather than a file."""
    if not isinstance(location, str):
        return False
    scheme, sep, _ = location.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def mask_url(message: str) -> str:
    """``message`` with the password of every PostgreSQL URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: m.group(1) + ("***" if m.group(2) else "") + m.group(3), message)


@dataclass(frozen=True)
class DatabaseLocation:
    """A PostgreSQL library's URL. ``str()`` (and so every message) shows it with the password
    masked; ``url`` is the real one, for connecting only."""

    url: str = field(repr=False)

    def __str__(self) -> str:
        return mask_url(self.url)

    def __repr__(self) -> str:
        return f"DatabaseLocation({str(self)!r})"

    @property
    def name(self) -> str:
        """The database's name (what a file library's ``path.name`` is)."""
        return make_url(self.url).database or "postgres"


def sqlalchemy_url(location: DatabaseLocation) -> Any:
    """The URL with the psycopg (3) driver, whatever the spelling given."""
    url = make_url(location.url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def create_pg_engine(location: DatabaseLocation, *, read_only: bool) -> Engine:
    """An engine whose sessions say who they are (``application_name``: host and pid, shown
    when a lease is busy) and, when ``read_only``, refuse to write."""
    url = sqlalchemy_url(location)
    connect_args: dict[str, Any] = {}
    if "application_name" not in url.query:
        connect_args["application_name"] = f"faceorg {socket.gethostname()} pid {os.getpid()}"[:63]
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def take_write_lease(connection: Connection) -> None:
    """Wait for the library's writer lease and hold it until this transaction ends."""
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LEASE}, {_KEY_SQL})")


def lease_holder(connection: Connection, lease: int) -> str | None:
    """Who holds ``lease`` now (the holder's ``application_name`` and client address), if anyone."""
    row = connection.execute(text(
        "SELECT a.application_name, coalesce(host(a.client_addr), 'local socket') FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = CAST(:cls AS oid) AND l.objid = CAST(CAST(hashtext(current_schema()) AS bigint) "
        "& 4294967295 AS oid) AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"cls": lease}).first()
    return None if row is None else f"{row[0] or 'a client'} ({row[1]})"


@contextmanager
def import_lease(engine: Engine, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                 poll_s: float = 0.25) -> Iterator[None]:
    """Hold the library's import lease for the block, waiting (cancellably, with a progress
    note naming the holder) while another import has it. Released at the end, or by
    PostgreSQL when this process dies."""
    with engine.connect() as connection:
        connection.commit()  # session-level lock: no transaction left open while we wait or hold it
        told = False
        while not connection.scalar(text(f"SELECT pg_try_advisory_lock({IMPORT_LEASE}, {_KEY_SQL})")):
            connection.commit()
            if not told:
                holder = lease_holder(connection, IMPORT_LEASE)
                report(progress, 0, None, f"waiting for the import in {holder or 'another process'}")
                told = True
            if cancel is not None:
                cancel.check()
            time.sleep(poll_s)
        connection.commit()
        try:
            yield
        finally:
            try:
                connection.execute(text(f"SELECT pg_advisory_unlock({IMPORT_LEASE}, {_KEY_SQL})"))
                connection.commit()
            except Exception:  # the connection broke: PostgreSQL released the lock with the session
                connection.invalidate()


_URL_USER = re.compile(r"^((?:postgres(?:ql)?(?:\+\w+)?)://)([^:/@\s]*)(?::([^@\s]*))?@", re.IGNORECASE)


def split_password(url: str) -> tuple[str, str | None]:
    """``(url without its password, the password decoded)``; None when the URL has none (libpq then
    reads ``PGPASSWORD`` or ``~/.pgpass``). For showing a URL with the password in a masked field."""
    from urllib.parse import unquote

    m = _URL_USER.match(url)
    if m is None or m.group(3) is None:
        return url, None
    return m.group(1) + m.group(2) + "@" + url[m.end():], unquote(m.group(3))


def with_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` (URL-encoded) in place of the one it has; None or "": none."""
    from urllib.parse import quote

    bare, _ = split_password(url)
    if not password:
        return bare
    m = _URL_USER.match(bare)
    if m is None or not m.group(2):
        raise ValueError("a password needs a user name in the URL: postgresql://USER@HOST/DATABASE")
    return m.group(1) + m.group(2) + ":" + quote(password, safe="") + "@" + bare[m.end():]


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable library URL (one line, password masked), or None."""
    from sqlalchemy.exc import ArgumentError

    if not is_database_url(url):
        return f"not a PostgreSQL URL (postgresql://USER@HOST/DATABASE): {mask_url(url)}"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        return f"not a valid URL ({str(exc).splitlines()[0]}): {mask_url(url)}"
    if not parsed.database:
        return f"the URL names no database (postgresql://USER@HOST/DATABASE): {mask_url(url)}"
    return None
