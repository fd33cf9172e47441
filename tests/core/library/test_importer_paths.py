"""Issue 13: file names that are not UTF-8 (common on disks copied from old Windows or Samba
shares) are imported, stored losslessly, re-imported as unchanged and followed when moved; and
the progress never reads N/N before the last batch is committed."""

from __future__ import annotations

import os
from pathlib import Path

from import_support import SETTINGS, astronaut_jpeg, check_consistent, shared_pipeline
from PIL import Image
from skimage import data
from sqlalchemy import select
from sqlalchemy import text as sql

from core.library import queries
from core.library.importer import import_folders
from core.library.roots import local_path, roots_of
from core.progress import Progress
from core.storage.engine import Library
from core.storage.fspath import ESCAPE, from_db, to_db
from core.storage.schema import Photo


def _import(library: Library, folder: Path, **kwargs):
    return import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS, **kwargs)


def _bad(folder: Path, raw: bytes) -> str:
    """The str Python uses for a file name with these raw bytes (surrogate-escaped)."""
    return os.fsdecode(os.fsencode(str(folder)) + b"/" + raw)


def test_codec_is_lossless_and_leaves_utf8_alone() -> None:
    for path in ("/photos/plain.jpg", "/photos/Zoë 😀.jpg", "/a/b\\xff.jpg"):
        assert to_db(path) == path
    for path in (os.fsdecode(b"/p/bad_\xff\xfe.jpg"), f"/p/{ESCAPE}x.jpg", f"/p/{ESCAPE}dcff.jpg",
                 "/p/\ud800lone.jpg"):
        stored = to_db(path)
        stored.encode("utf-8")  # storable
        assert from_db(stored) == path


def test_non_utf8_names_are_imported_reimported_and_moved(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    astronaut_jpeg(folder / "good.jpg")
    cat = _bad(folder, b"chat_\xe9t\xe9.jpg")  # Latin-1 "chat_été.jpg"
    Image.fromarray(data.chelsea()).save(cat, quality=90)
    face = _bad(folder, b"bad_\xff\xfe.jpg")
    Image.fromarray(data.astronaut()[:, ::-1].copy()).save(face, quality=90)
    text = _bad(folder, b"notes_\xff.jpg")
    Path(text).write_text("not a photo")

    rep = _import(library, folder)
    assert (rep.photos_new, rep.faces_new, rep.cancelled) == (3, 2, False)
    assert rep.errors == [(text, "not an image")]
    with library.session() as s:
        rows = {roots_of(s).local(p.root_id, p.path): p for p in s.scalars(select(Photo))}
        assert rows[face].status == "done" and rows[face].face_count == 1
        assert rows[cat].status == "done"
        assert [e.path for e in queries.import_errors(s)] == [text]
    assert os.fsencode(face) == os.fsencode(str(folder)) + b"/bad_\xff\xfe.jpg"  # exact bytes back
    with library.session() as s:  # the stored form is valid UTF-8 text, readable by any client (raw SQL)
        stored = {p for (p,) in s.execute(sql("SELECT path FROM photos"))}
    assert to_db(os.path.relpath(face, folder)) in stored and all(isinstance(p, str) for p in stored)

    again = _import(library, folder)
    assert (again.photos_unchanged, again.photos_new, again.faces_new) == (3, 0, 0)

    moved = _bad(folder, b"moved_\xfe.jpg")
    os.rename(face, moved)
    rep = _import(library, folder)
    assert (rep.photos_moved, rep.photos_new, rep.photos_missing, rep.faces_new) == (1, 0, 0, 0)
    with library.session() as s:
        assert s.scalars(select(Photo).where(local_path(s) == moved)).one().face_count == 1
    check_consistent(library.path)


def test_progress_never_reads_done_before_the_commit(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    astronaut_jpeg(folder / "a.jpg")
    for i in range(6):
        Image.fromarray(data.chelsea()[:, i * 10:]).save(folder / f"cat{i}.jpg")
    seen: list[tuple[int, int]] = []

    def progress(p: Progress) -> None:
        if p.message != "importing":
            return
        with library.session() as s:  # its own connection: sees committed rows only
            committed = s.execute(sql("SELECT count(*) FROM photos")).scalar_one()
        seen.append((int(p.extra["files_done"]), committed))

    rep = _import(library, folder, progress=progress)
    assert rep.files_done == rep.files_total == 7
    assert seen and seen[-1] == (7, 7)
    assert all(done <= committed for done, committed in seen), seen
