"""The importer's photo index kept between imports (core.library.index_cache): reused with no row
read when nothing was written, only the changed chunks read again when another process wrote,
dropped after an import that stopped early, and always equal to what a full load reads now. Real
libraries; the writes of "another process" are made by a real second process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from import_support import SETTINGS, check_consistent, copy_photos, lfw_photos, shared_pipeline
from sqlalchemy import insert

from core.library.import_plan import LibraryIndex
from core.library.importer import import_folders
from core.library.index_cache import CHUNK_BITS, IndexCache
from core.storage.engine import Library, open_library
from core.storage.schema import Photo

pytestmark = pytest.mark.sqlite_only


def _state(index: LibraryIndex) -> tuple[list[tuple], dict[str, int | None]]:
    """Every row (id order) and the original chosen for each hash: what an import looks at."""
    rows = sorted((r.id, r.path, r.size, r.mtime, r.status, r.content_hash, r.duplicate_of)
                  for r in index.by_path.values())
    assert all(index.by_path[r[1]].id == r[0] for r in rows)
    return rows, {h: r.id for h, r in index.by_hash.items()}


def _fresh(library: Library) -> tuple[list[tuple], dict[str, int | None]]:
    with library.session() as session:
        return _state(LibraryIndex.load(session))


def _refresh(cache: IndexCache, library: Library) -> LibraryIndex:
    with library.session() as session:
        return cache.refresh(library, session)


def _bulk(library: Library, n: int, start: int = 0) -> None:
    """``n`` photo rows, every tenth a copy of the one before, some missing or in error."""
    rows = []
    for i in range(start, start + n):
        status = "missing" if i % 7 == 3 else "error" if i % 11 == 5 else "done"
        rows.append({"path": f"/photos/{i:06d}.jpg", "size": 1000 + i, "mtime": float(i), "status": status,
                     "content_hash": f"{i - 1 if i % 10 == 9 else i:064x}", "face_count": 0})
    with library.session() as session:
        session.execute(insert(Photo), rows)
    with library.session() as session:  # the copies point at their originals
        session.execute(Photo.__table__.update().where(Photo.id % 10 == 0).values(duplicate_of=Photo.id - 1))


def _other_process(library: Path, sql: str) -> None:
    """What another program writing to the library does (its own process and connection)."""
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()")
    subprocess.run([sys.executable, "-c", code, str(library), sql], check=True)


def test_nothing_written_nothing_read_again_and_another_process_s_rows_are_seen(tmp_path: Path) -> None:
    with open_library(tmp_path / "library.sqlite") as library:
        _bulk(library, 10_000)
        cache = IndexCache()
        _refresh(cache, library)
        assert cache.last is not None and (cache.last.kind, cache.last.rows_read) == ("full", 10_000)
        index = _refresh(cache, library)
        assert cache.last is not None and (cache.last.kind, cache.last.rows_read) == ("kept", 0)
        assert _state(index) == _fresh(library)

        # another process: a new row, a row in error done again, a copy deleted, a rename to a
        # name of the same length (no count or size changes), an original that becomes missing
        _other_process(library.path, """
            INSERT INTO photos (path, size, mtime, status, content_hash, face_count)
                VALUES ('/photos/new.jpg', 5, 5.0, 'done', printf('%064x', 4000), 0);
            UPDATE photos SET status = 'done' WHERE id = 6;
            DELETE FROM photos WHERE id = 1200;
            UPDATE photos SET path = '/photos/x01500.jpg' WHERE id = 1501;
            UPDATE photos SET status = 'pending' WHERE id = 2001;
        """)
        index = _refresh(cache, library)
        last = cache.last
        assert last is not None and last.kind == "chunks"
        changed = {i >> CHUNK_BITS for i in (10_001, 6, 1200, 1501, 2001)}
        assert last.chunks_read == len(changed) and last.rows_read <= len(changed) << CHUNK_BITS
        assert last.rows_read < 10_000 // 4
        assert _state(index) == _fresh(library)
        assert "/photos/new.jpg" in index.by_path and "/photos/001199.jpg" not in index.by_path
        assert index.by_path["/photos/x01500.jpg"].id == 1501 and "/photos/001500.jpg" not in index.by_path
        assert index.by_hash[f"{4000:064x}"].id == 4001  # the older original keeps its hash
        assert index.by_hash[f"{5:064x}"].id == 6  # done now: an original
        assert f"{2000:064x}" not in index.by_hash  # pending: not an original to copy from

        # the new row's original goes: the newer row with that hash becomes the original
        _other_process(library.path, "DELETE FROM photos WHERE id = 4001;")
        index = _refresh(cache, library)
        assert cache.last is not None and (cache.last.kind, cache.last.chunks_read) == ("chunks", 1)
        assert index.by_hash[f"{4000:064x}"].path == "/photos/new.jpg"
        assert _state(index) == _fresh(library)


def test_an_import_that_stopped_early_drops_the_index_and_a_replaced_file_is_read_in_full(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    with open_library(path) as library:
        _bulk(library, 600)
        cache = IndexCache()
        with library.session() as session:
            index = cache.checkout(library, session)
        index.by_path.clear()  # what an import stopped halfway may leave
        cache.checkin(False)
        index = _refresh(cache, library)
        assert cache.last is not None and cache.last.kind == "full"
        assert _state(index) == _fresh(library)

    other = tmp_path / "other.sqlite"
    with open_library(other) as library:
        _bulk(library, 50, start=9000)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(other, path)  # the same name, another file
    with open_library(path) as library:
        index = _refresh(cache, library)
        assert cache.last is not None and cache.last.kind == "full" and cache.last.rows == 50
        assert _state(index) == _fresh(library)


@pytest.mark.lfw
def test_imports_through_the_cache_leave_it_equal_to_a_full_load(library: Library, tmp_path: Path) -> None:
    """New photos, a move, a copy, a vanished file, its return, an original gone with its copy
    left: after each import the kept index (brought up to date from the chunks the import
    changed) is what a full load reads, and the import did what one without the cache does."""
    cache = IndexCache()

    def run(folder: Path):
        report = import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS, index_cache=cache)
        assert cache.last is not None
        got = cache.last
        assert _state(_refresh(cache, library)) == _fresh(library)
        assert cache.last is not None and cache.last.kind == "chunks" and cache.last.rows_read <= cache.last.rows
        return report, got

    folder = tmp_path / "photos"
    a, b, c = copy_photos(lfw_photos(3), folder)
    rep, got = run(folder)
    assert rep.photos_new == 3 and got.kind == "full"
    moved = folder / "album" / "renamed.jpg"
    moved.parent.mkdir()
    a.rename(moved)
    shutil.copy2(b, folder / "album" / "copy_of_b.jpg")
    stash = tmp_path / "stash.jpg"
    c.rename(stash)
    rep, got = run(folder)
    assert got.kind == "kept" and got.rows_read == 0  # nothing written since the last import: no row read
    assert (rep.photos_moved, rep.photos_duplicate, rep.photos_missing, rep.photos_new) == (1, 1, 1, 0)
    stash.rename(c)
    b.unlink()
    rep, got = run(folder)
    assert (rep.photos_restored, rep.photos_missing, rep.photos_moved, rep.photos_new) == (1, 0, 1, 0)
    rep, got = run(folder)  # nothing changed on disk
    assert (rep.photos_new, rep.photos_unchanged) == (0, 3) and got.rows_read == 0
    check_consistent(library.path)


def test_between_imports_the_index_follows_another_process_once_its_writes_settle(tmp_path: Path) -> None:
    with open_library(tmp_path / "library.sqlite") as library:
        _bulk(library, 1000)
        cache = IndexCache()
        _refresh(cache, library)
        assert cache.idle(settle_s=0) is None  # nothing written
        _other_process(library.path, "UPDATE photos SET status = 'missing' WHERE id = 700;")
        assert cache.idle(settle_s=60) is None  # written just now: maybe more to come
        done = cache.idle(settle_s=0)
        assert done is not None and (done.kind, done.chunks_read) == ("chunks", 1)
        index = _refresh(cache, library)  # the next import: nothing to read
        assert cache.last is not None and (cache.last.kind, cache.last.rows_read) == ("kept", 0)
        assert index.by_path["/photos/000699.jpg"].status == "missing"
        assert _state(index) == _fresh(library)


def test_a_root_mapped_elsewhere_on_this_computer_is_read_again_in_full(library: Library, tmp_path: Path) -> None:
    """The mapping of a root to a folder lives outside the library (no data_version change): when
    it changes the kept index is dropped and read again with the paths as they are now."""
    from core.library.roots import map_root, roots_of

    cache = IndexCache()
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(2), folder)
    import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS, index_cache=cache)
    _refresh(cache, library)
    assert cache.last is not None and cache.last.kind in ("kept", "chunks")
    elsewhere = tmp_path / "mounted-elsewhere"
    shutil.copytree(folder, elsewhere)
    with library.session() as session:
        name = next(r.name for r in roots_of(session).roots)
        map_root(session, name, str(elsewhere), label="test")
    index = _refresh(cache, library)
    assert cache.last is not None and cache.last.kind == "full"
    assert sorted(index.by_path) == sorted(str(elsewhere / p.name) for p in folder.iterdir())
    assert _state(index) == _fresh(library)
