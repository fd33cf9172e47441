"""The import job in a child process: it writes under this process's lock, its progress arrives
here, a cancel stops it, an overdue one is terminated, a refused delegation is a clear error.
Real photos (LFW), real spawned children, a real library."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from import_support import CHILD_EMBEDDER, check_consistent, child_job, copy_photos, lfw_photos, pid_gone

from core.library import queries
from core.library.import_job import ImportJob, ImportJobError, JobResult, run_in_child
from core.progress import Cancelled, CancelToken, Progress
from core.storage.engine import open_library

pytestmark = pytest.mark.lfw


def _no_children() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "faceorg-import"]


def test_a_child_imports_and_groups_under_our_lock_with_progress(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(5), folder)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    seen: list[tuple[str, Progress]] = []
    pids: list[int] = []
    with open_library(tmp_path / "library.sqlite") as library:  # we hold the writer lock
        result = run_in_child(child_job(library.path, folder), progress=lambda phase, p: seen.append((phase, p)),
                              started=pids.append)
        assert isinstance(result, JobResult) and not result.cancelled
        assert result.report is not None and result.report.photos_new == 5
        assert [Path(p).name for p, _ in result.report.errors] == ["broken.jpg"]
        assert result.grouping is not None and result.grouping_error == ""
        with library.session() as session:  # our sessions see what the child wrote
            status = queries.status(session)
        assert status.done == 5 and status.faces == result.report.faces_new
    assert pids and pids[0] != os.getpid() and pid_gone(pids[0]) and _no_children()
    phases = [phase for phase, _ in seen]
    assert "import" in phases and "group" in phases and phases.index("import") < phases.index("group")
    assert any(p.total == 6 and p.extra.get("files_done", 0) >= 1 for phase, p in seen if phase == "import")
    check_consistent(tmp_path / "library.sqlite")


def test_cancel_stops_the_child_and_the_next_job_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(64), folder)  # the cancel must land mid-import, also on a fast, quiet machine
    token = CancelToken()
    cancelled_at: list[float] = []

    def progress(phase: str, p: Progress) -> None:
        if phase == "import" and p.done >= 1 and not cancelled_at:  # models loaded, photos flowing
            cancelled_at.append(time.monotonic())
            token.cancel()

    with open_library(tmp_path / "library.sqlite") as library:
        result = run_in_child(child_job(library.path, folder), progress=progress, cancel=token)
        stopped_s = time.monotonic() - cancelled_at[0]
        assert _no_children()
        assert result.cancelled and result.report is not None and result.report.files_done < 64
        assert result.grouping is None
        assert stopped_s < 5.0, stopped_s  # the child stopped by itself, well before it would be terminated
        with library.session() as session:
            first = queries.status(session).done
        again = run_in_child(child_job(library.path, folder))
        assert again.report is not None and not again.cancelled
        assert again.report.photos_new == 64 - first
    check_consistent(tmp_path / "library.sqlite")


def test_a_child_that_does_not_stop_in_time_is_terminated(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(3), folder)
    token = CancelToken()
    pids: list[int] = []

    def started(pid: int) -> None:
        pids.append(pid)
        token.cancel()

    with open_library(tmp_path / "library.sqlite") as library:
        t0 = time.monotonic()
        with pytest.raises(Cancelled):
            run_in_child(child_job(library.path, folder), cancel=token, grace_s=0.0, started=started)
        assert time.monotonic() - t0 < 10.0
    assert pid_gone(pids[0]) and _no_children()
    check_consistent(tmp_path / "library.sqlite")


def test_a_child_cannot_write_for_a_parent_that_holds_no_lock(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(1), folder)
    open_library(tmp_path / "library.sqlite").close()
    with pytest.raises(ImportJobError) as info:
        run_in_child(child_job(tmp_path / "library.sqlite", folder))
    assert info.value.kind == "DelegationRefusedError" and "not locked" in str(info.value)
    assert _no_children()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_child_that_dies_is_an_error_and_the_library_stays_consistent(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(3), folder)
    with open_library(tmp_path / "library.sqlite") as library:
        with pytest.raises(ImportJobError) as info:
            run_in_child(child_job(library.path, folder), started=lambda pid: os.kill(pid, signal.SIGKILL))
        assert "stopped unexpectedly" in str(info.value) and str(-signal.SIGKILL) in str(info.value)
    assert _no_children()
    check_consistent(tmp_path / "library.sqlite")


def test_a_cancel_while_grouping_keeps_the_import_and_says_grouping_was_cancelled(tmp_path: Path) -> None:
    """In this process (run_job): the import finishes, the cancel lands in the grouping that follows."""
    from core.library.import_job import run_job

    folder = tmp_path / "photos"
    copy_photos(lfw_photos(4), folder)
    token = CancelToken()

    def progress(phase: str, _p: Progress) -> None:
        if phase == "group":
            token.cancel()

    path = tmp_path / "library.sqlite"  # run_job opens it itself, in this process
    result = run_job(ImportJob(str(path), (str(folder),), embedder=CHILD_EMBEDDER, workers=2), progress=progress,
                     cancel=token)
    assert result.report is not None and result.report.photos_new == 4 and not result.report.cancelled
    assert result.grouping_cancelled and not result.cancelled
    assert result.grouping is None and result.grouping_error == ""
    with pytest.raises(Cancelled):  # a grouping alone that is cancelled is simply cancelled
        run_job(ImportJob(str(path), (), embedder=CHILD_EMBEDDER), cancel=token)
    with open_library(path) as library, library.session() as session:
        assert queries.status(session).done == 4  # the photos stay
    check_consistent(tmp_path / "library.sqlite")
