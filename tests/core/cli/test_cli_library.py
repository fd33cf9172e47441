"""``faceorg import`` and ``faceorg status``: JSON and text output, exit codes, the writer
lock, Ctrl+C, and the progress bar."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from core.cli.main import main
from core.cli.progressbar import ProgressBar, format_duration, render
from core.paths import lfw_default
from core.progress import Progress
from core.storage.engine import open_library

REPO = Path(__file__).resolve().parents[3]
IMPORT_KEYS = {"library", "files_total", "files_done", "photos_new", "photos_unchanged", "photos_moved",
               "photos_duplicate", "photos_missing", "photos_restored", "photos_updated", "faces_new",
               "errors", "elapsed_s", "cancelled", "new_face_ids", "grouping_cancelled", "stale_faces",
               # names from photo metadata (issue 12)
               "metadata_photos_read", "metadata_faces_named", "metadata_region_faces", "metadata_suggestions",
               "metadata_skipped", "metadata_problems", "metadata_conflicts",
               "unmapped_roots"}  # library roots not mapped on this computer (issue 16)


@pytest.fixture(autouse=True)
def _one_torch_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEORG_THREADS", "1")  # shared test machine


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(data.astronaut()).save(folder / "astronaut.jpg", quality=92)
    (folder / "broken.jpg").write_text("not a photo")
    return folder


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    out = capsys.readouterr().out
    return json.loads(out)


def test_import_then_status_json_and_text(tmp_path: Path, photos: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    lib = str(tmp_path / "lib.sqlite")
    assert main(["--library", lib, "import", str(photos), "--json", "--no-progress"]) == 0
    rep = _json(capsys)
    assert set(rep) == IMPORT_KEYS
    assert (rep["files_total"], rep["photos_new"], rep["faces_new"], rep["cancelled"]) == (2, 1, 1, False)
    assert rep["grouping_cancelled"] is False
    assert rep["errors"] == [{"path": str(photos / "broken.jpg"), "reason": "not an image"}]
    assert len(rep["new_face_ids"]) == 1 and rep["library"] == lib

    assert main(["--library", lib, "status", "--json"]) == 0
    st = _json(capsys)
    assert (st["photos_total"], st["done"], st["error"], st["missing"], st["pending"]) == (2, 1, 1, 0, 0)
    assert (st["faces"], st["people"], st["clusters"], st["unassigned"], st["review_items"]) == (1, 0, 0, 1, 0)
    assert st["errors"] == [{"path": str(photos / "broken.jpg"), "error": "not an image"}]

    assert main(["--library", lib, "status"]) == 0
    text = capsys.readouterr().out
    assert "done 1, error 1" in text and f"{photos / 'broken.jpg'}: not an image" in text

    assert main(["--library", lib, "import", str(photos), "--no-progress"]) == 0  # again: nothing new
    text = capsys.readouterr().out
    assert "new photos 0" in text and "unchanged 1" in text and "not an image" in text


def test_default_library_from_environment(tmp_path: Path, photos: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FACEORG_LIBRARY", str(tmp_path / "env.sqlite"))
    assert main(["status"]) == 1
    assert "no library at" in capsys.readouterr().err
    assert main(["import", str(photos / "astronaut.jpg"), "--json", "--no-progress"]) == 0
    assert _json(capsys)["library"] == str(tmp_path / "env.sqlite")


def test_locked_library_exits_2(tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib.sqlite"
    with open_library(lib):
        assert main(["--library", str(lib), "import", str(photos), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "already open" in err and str(os.getpid()) in err
        assert main(["--library", str(lib), "status", "--json"]) == 0  # reading needs no lock


def test_ctrl_c_cancels_cleanly(tmp_path: Path) -> None:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    folder = tmp_path / "photos"
    folder.mkdir()
    for person in sorted((root / "images").iterdir())[:160]:  # still importing when the first batch lands
        first = sorted(person.glob("*.jpg"))[0]
        (folder / first.name).write_bytes(first.read_bytes())
    lib = tmp_path / "lib.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO), "FACEORG_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli.main", "--library", str(lib), "import",
                             str(folder), "--workers", "2"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _has_done_photo(lib):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no progress within 120 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert out.startswith("Cancelled:") and "Run the same import again" in out
    assert "cancelling" in err and "files" in err  # the progress bar wrote to stderr
    con = sqlite3.connect(f"file:{lib}?mode=ro", uri=True)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done = con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0]
    con.close()
    assert 0 < done < 160


def _has_done_photo(lib: Path) -> bool:
    if not lib.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{lib}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM photos WHERE status = 'done'").fetchone()[0] > 0
        finally:
            con.close()
    except sqlite3.Error:
        return False


# -- progress bar ---------------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _p(done: int, total: int, **extra: float) -> Progress:
    return Progress(done, total, "importing", {"files_done": done, "files_total": total, **extra})


def test_render_line() -> None:
    line = render(_p(50, 200, faces=61, photos_per_s=12.34, eta_s=3725), width=100)
    assert line.startswith("[") and " 25%" in line
    assert "50/200 files, 61 faces, 12.3 photos/s, ETA 1:02:05" in line
    assert len(render(_p(50, 200, faces=61, photos_per_s=1.0, eta_s=5), width=40)) <= 40
    assert render(Progress(1500, None, "scanning"), 80) == "scanning: 1500 files found"
    assert format_duration(float("nan")) == "?" and format_duration(65) == "1:05"


def test_progress_bar_redraws_one_line_on_a_terminal() -> None:
    stream = _Tty()
    bar = ProgressBar(stream, interval=3600)
    bar(_p(1, 3))
    bar(_p(2, 3))  # too soon: skipped
    bar(_p(3, 3))  # finished: always drawn
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n")  # close() redraws the last state
    assert "2/3" not in text and "3/3 files" in text


def test_progress_bar_logs_lines_elsewhere() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(_p(1, 10))
    bar(_p(2, 10))
    bar(_p(10, 10))
    bar.close()
    assert stream.getvalue().splitlines() == [render(_p(1, 10), 200), render(_p(10, 10), 200)]
