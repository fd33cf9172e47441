"""Helpers for the importer tests: one shared pipeline, real photos, bad files made at test
time, and a consistency check of a library file read through a separate connection."""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data
from sqlalchemy import create_engine

from core.embedding.embedder import EmbedderSettings
from core.library.import_job import ImportJob
from core.library.importer import ImportSettings
from core.paths import lfw_default
from core.pipeline import FacePipeline, PipelineSettings
from core.storage.postgres import DatabaseLocation, sqlalchemy_url

#: Small batches and commits so that a handful of photos spans several transactions.
SETTINGS = ImportSettings(workers=2, batch_size=8, commit_every=4)
ASTRONAUT_DATE = "2019:07:14 16:05:33"


@functools.cache
def shared_pipeline() -> FacePipeline:
    """One pipeline for every importer test in the session (the model loads once). One torch
    thread: the test machine is shared, and oversubscribed cores make inference erratic."""
    return FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8, threads=1)))


def lfw_photos(n: int) -> list[Path]:
    """The first photo of ``n`` LFW people (sorted), or skip the test."""
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    out = []
    for person in sorted((root / "images").iterdir()):
        first = next(iter(sorted(person.glob("*.jpg"))), None)
        if first is not None:
            out.append(first)
        if len(out) == n:
            return out
    pytest.skip(f"LFW at {root} has fewer than {n} people")


def copy_photos(paths: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, folder / p.name)) for p in paths]


def astronaut_jpeg(path: Path) -> Path:
    """scikit-image's astronaut (one face) as a real JPEG with an EXIF date taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = ASTRONAUT_DATE
    Image.fromarray(data.astronaut()).save(path, quality=92, exif=exif.tobytes())
    return path


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def bomb_png() -> bytes:
    """A valid PNG header claiming 100000 x 100000 pixels, with almost no data."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b""))


def write_bad_files(folder: Path, good_jpeg: Path) -> dict[str, str]:
    """Every kind of bad file an import meets; name -> start of the expected reason."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = good_jpeg.read_bytes()
    (folder / "zero.jpg").write_bytes(b"")
    (folder / "text.jpg").write_text("not a photo at all\n")
    (folder / "truncated.jpg").write_bytes(raw[: len(raw) // 2])
    garbage = bytearray(raw)
    mid = len(garbage) // 2
    garbage[mid:mid + 2000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    (folder / "garbage.jpg").write_bytes(bytes(garbage))
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "noise.jpeg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)  # JPEG magic, nothing else
    return {"zero.jpg": "zero-byte file", "text.jpg": "not an image", "truncated.jpg": "truncated or corrupt",
            "garbage.jpg": "truncated or corrupt", "bomb.png": "decompression bomb",
            "noise.jpeg": "not an image"}


def _reader(library_path: Path | DatabaseLocation) -> tuple[Callable[[str], Any], Callable[[], None]]:
    """A separate read-only connection to the library (SQLite file or PostgreSQL): ``one(sql)``
    (first column of the first row) and ``rows(sql)``, plus a close function."""
    if isinstance(library_path, DatabaseLocation):
        engine = create_engine(sqlalchemy_url(library_path))
        con = engine.connect()
        return (lambda sql: con.exec_driver_sql(sql).fetchall()), lambda: (con.close(), engine.dispose())
    lite = sqlite3.connect(f"file:{library_path}?mode=ro", uri=True)
    return (lambda sql: lite.execute(sql).fetchall()), lite.close


def check_consistent(library_path: Path | DatabaseLocation) -> dict[str, int]:
    """Assert what must hold after any import, even a killed one; return row counts."""
    rows, close = _reader(library_path)
    try:
        one = lambda sql: rows(sql)[0][0]  # noqa: E731
        if not isinstance(library_path, DatabaseLocation):  # PostgreSQL checks these itself, always
            assert one("PRAGMA integrity_check") == "ok"
            assert rows("PRAGMA foreign_key_check") == []
        assert one("SELECT count(*) FROM faces f WHERE NOT EXISTS "
                   "(SELECT 1 FROM embeddings e WHERE e.face_id = f.id)") == 0, "face without embedding"
        assert one("SELECT count(*) FROM photos p WHERE face_count != "
                   "(SELECT count(*) FROM faces f WHERE f.photo_id = p.id)") == 0, "face_count wrong"
        assert one("SELECT count(*) FROM faces f JOIN photos p ON p.id = f.photo_id "
                   "WHERE p.duplicate_of IS NOT NULL OR p.status IN ('pending', 'error')") == 0
        assert one("SELECT count(*) FROM photos WHERE status = 'pending'") == 0
        return {"photos": one("SELECT count(*) FROM photos"),
                "done": one("SELECT count(*) FROM photos WHERE status = 'done' AND duplicate_of IS NULL"),
                "faces": one("SELECT count(*) FROM faces")}
    finally:
        close()


def faces_per_photo(library_path: Path | DatabaseLocation) -> dict[str, int]:
    """Photo path (absolute: its root's recorded folder, as on the computer that imported it) ->
    number of faces, done originals only."""
    rows, close = _reader(library_path)
    try:
        return {path: n for path, n in rows(
            "SELECT coalesce(r.path || '/', '') || p.path, p.face_count FROM photos p "
            "LEFT JOIN library_roots r ON r.id = p.root_id WHERE p.status = 'done' AND p.duplicate_of IS NULL")}
    finally:
        close()


CHILD_EMBEDDER = {"flip": False, "batch_size": 8, "threads": 1}  # the shared test machine: one torch thread


def child_job(library_path: Path, *folders: Path, **kwargs: Any) -> ImportJob:
    """An import job for a child process writing under this test process's lock."""
    return ImportJob(str(library_path), tuple(str(f) for f in folders), embedder=CHILD_EMBEDDER, workers=2,
                     holder_pid=os.getpid(), **kwargs)


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
