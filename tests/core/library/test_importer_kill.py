"""An import SIGKILLed mid-way leaves a consistent library, and the next import resumes:
every photo ends up imported exactly once, with the faces a clean import stores."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from import_support import SETTINGS, check_consistent, copy_photos, faces_per_photo, lfw_photos, shared_pipeline

from core.library.importer import import_folders
from core.storage.engine import open_library

REPO = Path(__file__).resolve().parents[3]
N_PHOTOS = 60
KILL_AFTER = 8  # done photos seen before the kill
SCRIPT = f"""
import sys
from core.embedding.embedder import EmbedderSettings
from core.library.importer import ImportSettings, import_folders
from core.pipeline import FacePipeline, PipelineSettings
from core.storage.engine import open_library

pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8, threads=1)))
with open_library(sys.argv[1]) as library:
    import_folders(library, [sys.argv[2]], pipeline=pipeline, settings=ImportSettings(
        workers={SETTINGS.workers}, batch_size={SETTINGS.batch_size}, commit_every={SETTINGS.commit_every}))
"""


def _done(library_path: Path) -> int:
    """Done photos as another process sees them (0 while the file is being created)."""
    if not library_path.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{library_path}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigkill_mid_import_then_resume(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    files = copy_photos(lfw_photos(N_PHOTOS), folder)
    library_path = tmp_path / "library.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(library_path), str(folder)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while _done(library_path) < KILL_AFTER:
            if proc.poll() is not None:
                pytest.fail(f"import ended early ({proc.returncode}): {proc.stdout.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no progress within 120 s")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL

    killed = check_consistent(library_path)  # integrity, no face without embedding, counts agree
    assert KILL_AFTER <= killed["done"] < N_PHOTOS

    with open_library(library_path) as library:  # the dead writer's lock is gone with it
        rep = import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS)
    assert not rep.cancelled and rep.errors == []
    assert rep.photos_unchanged == killed["done"]
    assert rep.photos_new == N_PHOTOS - killed["done"]
    after = check_consistent(library_path)
    assert after["photos"] == after["done"] == N_PHOTOS

    # A clean import stores one face per detection of the same pipeline.
    pipeline = shared_pipeline()
    expected = {str(p.resolve()): len(pipeline.prepare(p)[1]) for p in files}
    assert faces_per_photo(library_path) == expected
    assert after["faces"] == sum(expected.values())
