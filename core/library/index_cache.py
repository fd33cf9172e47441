"""The importer's :class:`~core.library.import_plan.LibraryIndex` kept between imports by a process
that runs one import after another (the warm import process,
:mod:`core.library.import_worker_process`), so that an import does not read every photo row again
(100,000 rows: ~1.2 s here, before its first photo).

Correctness comes first: the index an import gets is what ``LibraryIndex.load`` would read at
that moment.

- The cache holds one SQLite library file, known by its path, device and inode: another library
  or a replaced file means a full load. PostgreSQL libraries are loaded in full every time
  (nothing is kept: other computers write to them and there is no cheap change counter).
- ``PRAGMA data_version`` on a read-only connection the cache keeps open changes whenever any
  other connection (another process, the import's own sessions) commits. When it has not
  changed since the index was last brought up to date, the index is used as it is: no row read.
- Otherwise the rows are compared a chunk of ``2**CHUNK_BITS`` ids at a time by a digest the
  database computes (the count and the sum of a 52-bit hash of each row, over the columns the
  index holds, as stored), in the same read transaction as the rows read again: only the chunks
  whose digest differs are read again (a different row goes unnoticed with a chance of about
  2**-52 per changed chunk).
- An import changes the index as it goes (:func:`core.library.import_actions.decide`): it is lent
  out with :meth:`IndexCache.checkout` and given back with :meth:`IndexCache.checkin`. After an
  import that ran to its end every change it made in memory was also written, so the chunks that
  hold those rows differ and are read again; after one that stopped early (a cancel, an error)
  the index is dropped and the next import loads it in full.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the app's process unpickles IndexRefresh: nothing heavy at load time
    from sqlalchemy.orm import Session

    from core.library.import_plan import LibraryIndex
    from core.storage.engine import Library

CHUNK_BITS = 9  # 512 ids per chunk (a chunk's sum of 52-bit row hashes fits in 63 bits)
_MASK = (1 << 52) - 1
_DIGEST_FN = "faceorg_index_row"
_FULL_SHARE = 0.5  # more chunks than this share (and than _FEW_CHUNKS) differ: read everything again
_FEW_CHUNKS = 8
SETTLE_S = 2.0  # idle: the library unchanged this long after a write before the index follows


@dataclass(frozen=True)
class IndexRefresh:
    """How an index was brought up to date. ``kind``: ``"full"`` (every row read), ``"chunks"`` (the
    chunks that changed read again), ``"kept"`` (nothing written since: no row read); ``rows_read``:
    photo rows read from the library; ``chunks_read``: for ``"chunks"``; ``rows``: rows in the index."""

    kind: str
    rows_read: int
    rows: int
    chunks_read: int = 0
    seconds: float = 0.0


def _row_hash(*values: Any) -> int:
    return hash(values) & _MASK  # str hashes differ between processes: digests are compared in this one only


def _chunk_of(photo_id: int) -> int:
    return photo_id >> CHUNK_BITS


class IndexCache:
    """One library's index, kept between imports (see the module doc). One thread uses it."""

    def __init__(self) -> None:
        self.last: IndexRefresh | None = None  # the last refresh (what the last import got, or an idle one)
        self._key: tuple[str, int, int] | None = None
        self._watch: sqlite3.Connection | None = None
        self._index: LibraryIndex | None = None
        self._digests: dict[int, tuple[int, int]] = {}
        self._version: int | None = None  # data_version when the index was last brought up to date
        self._seen: int | None = None  # data_version at the last idle look
        self._seen_at = 0.0  # since when (time.monotonic())
        self._lent = False
        self._mounts: tuple[tuple[int, str, str], ...] | None = None  # where each root lies on this computer

    @property
    def path(self) -> str | None:
        """The library file the cache holds (None: none)."""
        return None if self._key is None else self._key[0]

    # -- what an import does ---------------------------------------------------------------------
    def checkout(self, library: Library, session: Session) -> LibraryIndex:
        """The index of ``library`` as it is now, read with ``session``; the caller may change it and
        must give it back with :meth:`checkin`."""
        index = self.refresh(library, session)
        self._lent = True
        return index

    def checkin(self, finished: bool) -> None:
        """The import is over. ``finished``: it ran to its end (what it changed in the index it also
        wrote); False: it stopped early and the index may hold what it never wrote: dropped."""
        self._lent = False
        if finished:
            self._version = None  # compare the chunks at the next refresh, whatever data_version says
        else:
            self._index, self._digests, self._version = None, {}, None

    # -- bringing it up to date ------------------------------------------------------------------
    def refresh(self, library: Library, session: Session) -> LibraryIndex:
        """The index of ``library`` as ``session`` reads it now (see the module doc)."""
        from core.library.import_plan import LibraryIndex

        t0 = time.perf_counter()
        if library.backend != "sqlite":
            self.close()
            index = LibraryIndex.load(session)
            self.last = IndexRefresh("full", len(index.by_path), len(index.by_path), seconds=time.perf_counter() - t0)
            return index
        key = _identity(Path(str(library.path)))
        if key != self._key or self._watch is None:
            self.close()
            self._watch = _watch(Path(key[0]))
            self._key = key
        version = self._data_version()  # before the read below: a commit after it changes it again
        mounts = _mounts(session)
        if self._mounts is not None and not set(self._mounts) <= set(mounts):
            # a root mapped elsewhere on this computer (or gone): every path under it may have moved;
            # a new root moves nothing, its rows come with the chunks the import wrote
            self._index, self._digests = None, {}
        self._mounts = mounts
        if self._index is not None and version is not None and version == self._version:
            self.last = IndexRefresh("kept", 0, len(self._index.by_path), seconds=time.perf_counter() - t0)
            return self._index
        _begin_read(session)  # the digests and the rows from one snapshot
        digests = _digests(session)
        changed = sorted(c for c in digests.keys() | self._digests.keys() if digests.get(c) != self._digests.get(c))
        if self._index is None or len(changed) > max(_FEW_CHUNKS, _FULL_SHARE * len(digests)):
            index = LibraryIndex.load(session)
            kind, rows_read, chunks = "full", len(index.by_path), len(digests)
        else:
            index = self._index
            rows_read = _replace_chunks(session, index, set(changed)) if changed else 0
            kind, chunks = "chunks", len(changed)
        self._index, self._digests, self._version = index, digests, version
        self.last = IndexRefresh(kind, rows_read, len(index.by_path), chunks, time.perf_counter() - t0)
        return index

    def idle(self, settle_s: float = SETTLE_S) -> IndexRefresh | None:
        """Between imports: when the library changed and then stayed the same for ``settle_s`` (the
        app reloads its pages after an import: not while it does), bring the index up to date now
        (on a read-only connection of its own), so that the next import finds it ready. Call it
        every second or so; returns the refresh when it made one."""
        if self._index is None or self._lent or self._key is None:
            return None
        try:
            if _identity(Path(self._key[0])) != self._key:
                self.close()
                return None
            version = self._data_version()
        except OSError:  # the library file is gone
            self.close()
            return None
        now = time.monotonic()
        if version != self._seen:
            self._seen, self._seen_at = version, now
        if version is None or version == self._version or now - self._seen_at < settle_s:
            return None  # nothing new, or still changing: look again later
        return self.prime(self._key[0])

    def prime(self, location: str) -> IndexRefresh | None:
        """Bring the index of the SQLite library at ``location`` up to date now, on a read-only
        connection of its own (the warm import process does so once its models are loaded, and
        when idle); None when it is not such a library or cannot be read now (the next import
        loads what it needs and says what is wrong)."""
        from core.storage import postgres
        from core.storage.engine import open_library

        if postgres.is_database_url(location):
            return None
        try:
            with open_library(location, read_only=True) as library, library.session() as session:
                self.refresh(library, session)
        except Exception:  # noqa: BLE001 - see the docstring
            self.close()
            return None
        return self.last

    def close(self) -> None:
        """Forget the index and close the connection."""
        if self._watch is not None:
            self._watch.close()
        self._key, self._watch, self._index, self._digests = None, None, None, {}
        self._version = self._seen = None
        self._mounts = None

    def _data_version(self) -> int | None:
        if self._watch is None:
            return None
        try:
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None


def _mounts(session: Session) -> tuple[tuple[int, str, str], ...]:
    """The library's roots as this computer resolves them (the mapping lives outside the library,
    so ``data_version`` does not see it change)."""
    from core.library.roots import roots_of

    return tuple((r.id, r.prefix, r.sep) for r in roots_of(session).roots)


def _identity(path: Path) -> tuple[str, int, int]:
    resolved = path.resolve()
    st = os.stat(resolved)
    return str(resolved), st.st_dev, st.st_ino


def _watch(path: Path) -> sqlite3.Connection | None:
    """A read-only connection for ``PRAGMA data_version`` (None: cannot open one; nothing is kept)."""
    try:
        return sqlite3.connect(path.as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error:
        return None


def _begin_read(session: Session) -> None:
    """Start the session's transaction now (pysqlite would run each SELECT on its own)."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    assert raw is not None
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN")
    raw.create_function(_DIGEST_FN, -1, _row_hash, deterministic=True)


def _digests(session: Session) -> dict[int, tuple[int, int]]:
    """Per chunk of ids: (rows, sum of row hashes), over the index's own columns as stored."""
    from sqlalchemy import func, select

    from core.library.import_plan import LibraryIndex

    rows = LibraryIndex.statement(session).order_by(None).subquery()
    chunk = rows.c.id.op(">>")(CHUNK_BITS)
    stmt = select(chunk, func.count(), func.sum(getattr(func, _DIGEST_FN)(*rows.c))).group_by(chunk)
    return {int(c): (int(n), int(s)) for c, n, s in session.execute(stmt)}


def _replace_chunks(session: Session, index: LibraryIndex, chunks: set[int]) -> int:
    """Replace, in place, the rows of ``chunks`` with the library's; the originals by hash of every
    hash those rows had or have are chosen again as a load would (the lowest id), from the library,
    and so are those that pointed at a replaced row under another hash (an import may leave that).
    Every other row is as the library has it. Returns the rows read."""
    from sqlalchemy import or_

    from core.library.import_plan import LibraryIndex
    from core.storage.schema import Photo

    ranges = [Photo.id.between(c << CHUNK_BITS, ((c + 1) << CHUNK_BITS) - 1) for c in sorted(chunks)]
    fresh = LibraryIndex.read(session, or_(*ranges))
    old = {path: row for path, row in index.by_path.items() if row.id is None or _chunk_of(row.id) in chunks}
    gone = {id(row) for row in old.values()}
    hashes = {h for h, row in index.by_hash.items() if id(row) in gone}
    hashes.update(row.content_hash for row in old.values() if row.content_hash)
    hashes.update(row.content_hash for row in fresh if row.content_hash)
    for path in old:
        del index.by_path[path]
    for h in hashes:
        index.by_hash.pop(h, None)
    for row in fresh:
        index.by_path[row.path] = row
    listed = sorted(hashes)
    for start in range(0, len(listed), 500):  # the originals of these hashes, as stored (all rows, by id)
        for stored in LibraryIndex.read(session, Photo.content_hash.in_(listed[start:start + 500])):
            known = index.by_path.get(stored.path)
            if known is not None and known.id == stored.id:
                index.add(known)  # the original of its hash unless a lower id came first
    return len(fresh)
