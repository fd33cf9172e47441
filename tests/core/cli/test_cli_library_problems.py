"""Issue 13: library problems (foreign, corrupt, truncated or non-database file, a folder, a
read-only folder or file, a full disk) say one line with what to do and exit with their own code;
a file is never written before it is known to be a library; broken pipes end quietly."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from core.cli import exitcodes
from core.cli.main import main
from core.storage.engine import open_library

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _one_torch_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEORG_THREADS", "1")  # shared test machine


def _photos(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.roll(data.astronaut(), 11 * i, axis=1)).save(folder / f"a{i:02d}.jpg", quality=85)
    return folder


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("faceorg: ") and all(w in err for w in words), err
    return err


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs at ``where`` (root only), or skip."""
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other-app.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    con.execute("INSERT INTO notes (text) VALUES ('keep me')")
    con.commit()
    con.close()
    before = _digest(other)
    for command in (["import", str(tmp_path)], ["status"], ["people"], ["rename", "a", "b"]):
        assert main(["--library", str(other), *command]) == exitcodes.NOT_A_LIBRARY
        _one_line(capsys, "is not a FaceNet Organizer library", "--library")
    assert _digest(other) == before  # never switched to WAL, never stamped
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other-app.sqlite-")) == []
    con = sqlite3.connect(other)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_corrupt_truncated_and_non_database_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("just some text, long enough to not be an empty database " * 20)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"SQLite format 3\x00" + np.random.default_rng(1).bytes(40_000))
    truncated = tmp_path / "truncated.sqlite"
    with open_library(truncated):
        pass
    truncated.write_bytes(truncated.read_bytes()[:20_000])
    for path in (text, garbage, truncated):
        before = _digest(path)
        for command in (["status"], ["import", str(tmp_path / "nothing")], ["people"]):
            assert main(["--library", str(path), *command]) == exitcodes.NOT_A_LIBRARY, (path, command)
            _one_line(capsys, "is not a FaceNet Organizer library")
        assert _digest(path) == before


def test_folder_given_as_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["import", str(tmp_path)], ["status"], ["cluster"]):
        assert main(["--library", str(tmp_path), *command]) == exitcodes.IS_FOLDER
        _one_line(capsys, "is a folder", "library.sqlite")


def test_read_only_folder_status_works_writes_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _tmpfs(tmp_path / "ro", "20m") as folder:
        lib = folder / "lib.sqlite"
        assert main(["--library", str(lib), "import", str(_photos(tmp_path / "photos", 1)), "--no-progress"]) == 0
        capsys.readouterr()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        assert main(["--library", str(lib), "status"]) == 0  # reading still works
        assert "photos 1: done 1" in capsys.readouterr().out
        assert main(["--library", str(lib), "people"]) == 0
        capsys.readouterr()
        assert main(["--library", str(lib), "import", str(tmp_path / "photos")]) == exitcodes.READ_ONLY
        _one_line(capsys, "read-only", "writable")
        assert main(["--library", str(lib), "cluster"]) == exitcodes.READ_ONLY
        _one_line(capsys, "read-only")


def test_read_only_library_file_on_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files (the read-only folder test covers root)")
    lib = tmp_path / "lib.sqlite"
    with open_library(lib):
        pass
    lib.chmod(0o444)
    assert main(["--library", str(lib), "status"]) == 0
    capsys.readouterr()
    assert main(["--library", str(lib), "cluster"]) == exitcodes.READ_ONLY
    _one_line(capsys, "is read-only", "chmod")


def test_full_disk_mid_import_then_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk mid-import: one line, exit 6, a consistent library; once space is freed the same
    import finishes the job."""
    photos = _photos(tmp_path / "photos", 24)
    with _tmpfs(tmp_path / "small", "700k") as folder:  # a new library (4 revisions, WAL) needs ~660 KB
        lib = folder / "lib.sqlite"
        assert main(["--library", str(lib), "import", str(photos), "--no-progress", "--workers", "1"]) \
            == exitcodes.DISK_FULL
        _one_line(capsys, "is full", "free some space")
        subprocess.run(["mount", "-o", "remount,size=30m", str(folder)], check=True)
        con = sqlite3.connect(f"file:{lib}?mode=ro", uri=True)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0]
        con.close()
        assert partial < 24
        assert main(["--library", str(lib), "import", str(photos), "--no-progress", "--json"]) == 0
        capsys.readouterr()
        con = sqlite3.connect(f"file:{lib}?mode=ro", uri=True)
        assert con.execute("SELECT count(*), sum(face_count) FROM photos WHERE status = 'done'").fetchone() == (24, 24)
        con.close()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "core.cli.main", *args]


def test_broken_pipe_is_quiet_and_the_import_finishes(tmp_path: Path) -> None:
    """`faceorg import DIR 2>&1 | head -1` stopped the import part-way with a traceback and no
    grouping; `faceorg status | true` printed a BrokenPipe traceback."""
    lib = tmp_path / "lib.sqlite"
    photos = _photos(tmp_path / "photos", 6)
    env = {**os.environ, "PYTHONPATH": str(REPO), "FACEORG_THREADS": "1"}
    shell = f"{' '.join(_cli('--library', str(lib), 'import', str(photos)))} 2>&1 | head -1; " \
            "echo \"rc=${PIPESTATUS[0]}\""
    run = subprocess.run(["bash", "-c", shell], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    lines = run.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == f"rc={exitcodes.BROKEN_PIPE}", run.stdout + run.stderr
    assert run.stderr == ""
    con = sqlite3.connect(f"file:{lib}?mode=ro", uri=True)
    assert con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0] == 6
    assert con.execute("SELECT count(*) FROM assignments").fetchone()[0] == 6  # grouping ran
    con.close()
    for command in (["status"], ["status", "--json"], ["people", "--all"], ["--help"]):
        shell = f"{' '.join(_cli('--library', str(lib), *command))} | true; echo \"rc=${{PIPESTATUS[0]}}\""
        run = subprocess.run(["bash", "-c", shell], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert run.stderr == "", (command, run.stderr)
        assert run.stdout.strip() in (f"rc={exitcodes.BROKEN_PIPE}", "rc=0"), (command, run.stdout)


def test_import_stderr_holds_only_our_words(tmp_path: Path) -> None:
    """OpenCV printed "[ WARN:1@24.202] ... setPreferableTarget ..." on stderr at every import (with
    the OpenCV build of the report; this one may not print it): its log level is ERROR once the
    detector loads, and a quiet import writes nothing to stderr."""
    import cv2

    import core.detection.yunet  # noqa: F401 - sets the level

    assert cv2.utils.logging.getLogLevel() == cv2.utils.logging.LOG_LEVEL_ERROR
    photos = _photos(tmp_path / "photos", 2)
    env = {**os.environ, "PYTHONPATH": str(REPO), "FACEORG_THREADS": "1"}
    run = subprocess.run(_cli("--library", str(tmp_path / "lib.sqlite"), "import", str(photos), "--no-progress"),
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.startswith("Done: 2/2 files")
