"""The warm import process: one child runs job after job (models loaded once), a cancel stops a
job and the same child takes the next, a killed child is replaced, close stops it. Real photos
(LFW), real spawned children, a real library under our writer lock."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from import_support import (
    CHILD_EMBEDDER,
    SETTINGS,
    check_consistent,
    child_job,
    copy_photos,
    lfw_photos,
    pid_gone,
    shared_pipeline,
)
from sqlalchemy import insert

from core.library import queries
from core.library.import_job import ImportJobError
from core.library.import_worker_process import ImportWorker, WarmSpec
from core.library.importer import import_folders
from core.progress import Cancelled, CancelToken, Progress
from core.storage.engine import open_library
from core.storage.schema import Photo

pytestmark = pytest.mark.lfw


def _wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pid_gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def worker():
    worker = ImportWorker(WarmSpec(embedder=CHILD_EMBEDDER))
    yield worker
    worker.close()


def test_two_imports_run_in_one_child_that_loads_the_models_once(tmp_path: Path, worker: ImportWorker) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    photos = lfw_photos(6)
    copy_photos(photos[:3], first)
    copy_photos(photos[3:], second)
    pids: list[int] = []
    with open_library(tmp_path / "library.sqlite") as library:
        warm_pid = worker.start()  # as the app does when it opens a library
        one = worker.run(child_job(library.path, first), started=pids.append)
        stats_one = worker.stats
        seen: list[str] = []
        two = worker.run(child_job(library.path, second), started=pids.append, progress=lambda ph, p: seen.append(ph))
        stats_two = worker.stats
        with library.session() as session:
            assert queries.status(session).done == 6
    assert one.report is not None and one.report.photos_new == 3 and one.grouping is not None
    assert two.report is not None and two.report.photos_new == 3 and two.grouping is not None
    assert pids == [warm_pid, warm_pid] and warm_pid != os.getpid()
    assert stats_one is not None and stats_two is not None
    assert stats_one.pid == stats_two.pid == warm_pid
    assert (stats_one.jobs, stats_two.jobs) == (1, 2)
    assert stats_one.models_loaded == stats_two.models_loaded == 1  # loaded at start, not again per job
    assert "import" in seen and "group" in seen
    assert worker.pid == warm_pid  # still there for the next import
    worker.close()
    assert worker.pid is None and _wait_gone(warm_pid)
    check_consistent(tmp_path / "library.sqlite")


def test_a_cancelled_job_leaves_the_child_ready_for_the_next(tmp_path: Path, worker: ImportWorker) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(64), folder)
    token = CancelToken()

    def progress(phase: str, p: Progress) -> None:
        if phase == "import" and p.done >= 1:
            token.cancel()

    with open_library(tmp_path / "library.sqlite") as library:
        pid = worker.start()
        result = worker.run(child_job(library.path, folder), progress=progress, cancel=token)
        assert result.cancelled and result.report is not None and result.report.files_done < 64
        with library.session() as session:
            first = queries.status(session).done
        again = worker.run(child_job(library.path, folder))
        assert again.report is not None and not again.cancelled and again.report.photos_new == 64 - first
    assert worker.stats is not None and worker.stats.pid == pid and worker.stats.jobs == 2
    assert worker.stats.models_loaded == 1
    check_consistent(tmp_path / "library.sqlite")


def test_a_child_that_does_not_stop_in_time_is_killed_and_replaced(tmp_path: Path, worker: ImportWorker) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(3), folder)
    token = CancelToken()
    pids: list[int] = []

    def started(pid: int) -> None:
        pids.append(pid)
        token.cancel()

    with open_library(tmp_path / "library.sqlite") as library:
        with pytest.raises(Cancelled):
            worker.run(child_job(library.path, folder), cancel=token, grace_s=0.0, started=started)
        assert _wait_gone(pids[0]) and worker.pid is None
        result = worker.run(child_job(library.path, folder), started=pids.append)
        assert result.report is not None and not result.cancelled
        with library.session() as session:
            assert queries.status(session).done == 3
    assert pids[1] != pids[0]
    check_consistent(tmp_path / "library.sqlite")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_warm_child_is_replaced(tmp_path: Path, worker: ImportWorker) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(2), folder)
    with open_library(tmp_path / "library.sqlite") as library:
        first = worker.start()
        os.kill(first, signal.SIGKILL)
        assert _wait_gone(first) or worker.pid is None
        pids: list[int] = []
        result = worker.run(child_job(library.path, folder), started=pids.append)
        assert result.report is not None and result.report.photos_new == 2
        assert pids[0] != first and worker.stats is not None and worker.stats.pid == pids[0]
        # killed in the middle of a job: an error, and the next job runs in a fresh child
        with pytest.raises(ImportJobError) as info:
            worker.run(child_job(library.path, folder), started=lambda pid: os.kill(pid, signal.SIGKILL))
        assert "stopped unexpectedly" in str(info.value)
        again = worker.run(child_job(library.path, folder), started=pids.append)
        assert again.report is not None and pids[1] != pids[0]
    check_consistent(tmp_path / "library.sqlite")


def test_the_warm_child_writes_only_for_a_parent_that_holds_the_lock(tmp_path: Path, worker: ImportWorker) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(1), folder)
    open_library(tmp_path / "library.sqlite").close()
    with pytest.raises(ImportJobError) as info:
        worker.run(child_job(tmp_path / "library.sqlite", folder))
    assert info.value.kind == "DelegationRefusedError" and "not locked" in str(info.value)
    assert worker.pid is not None  # a refused job does not cost the warm child


def test_a_job_cancelled_while_the_child_still_loads_is_answered_without_killing_it(
        tmp_path: Path, worker: ImportWorker) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(2), folder)
    token = CancelToken()
    pids: list[int] = []

    def started(pid: int) -> None:  # the child was just spawned: it is still loading torch and the models
        pids.append(pid)
        token.cancel()

    with open_library(tmp_path / "library.sqlite") as library:
        with pytest.raises(Cancelled):
            worker.run(child_job(library.path, folder), cancel=token, started=started)
        assert worker.pid == pids[0]  # answered by the child, not killed
        result = worker.run(child_job(library.path, folder), started=pids.append)
        assert result.report is not None and result.report.photos_new == 2
    assert pids[1] == pids[0] and worker.stats is not None and worker.stats.jobs == 1


def _rows(library_path: Path, n: int) -> None:
    """``n`` photo rows already in the library (files elsewhere), so that its index is big."""
    with open_library(library_path) as library, library.session() as session:
        session.execute(insert(Photo), [{"path": f"/elsewhere/{i:05d}.jpg", "size": i, "mtime": 0.0, "status": "done",
                                         "content_hash": f"{i:064x}", "face_count": 0} for i in range(n)])


def test_the_warm_child_keeps_the_library_index_between_imports(tmp_path: Path) -> None:
    """Issue 14: each import read every photo row before its first photo (1.2 s at 100,000).
    The warm child reads the index when it starts (the library it was told), and after each
    import only the rows that changed, so the next import reads none."""
    first, second = tmp_path / "a", tmp_path / "b"
    photos = lfw_photos(4)
    copy_photos(photos[:2], first)
    copy_photos(photos[2:], second)
    path = tmp_path / "library.sqlite"
    _rows(path, 3000)
    worker = ImportWorker(WarmSpec(embedder=CHILD_EMBEDDER, library=str(path)))
    try:
        with open_library(path) as library:
            worker.start()
            worker.run(child_job(library.path, first, group=False))
            one = worker.stats
            worker.run(child_job(library.path, second, group=False))
            two = worker.stats
            with library.session() as session:
                assert queries.status(session).done == 3004
    finally:
        worker.close()
    assert one is not None and one.index is not None and two is not None and two.index is not None
    assert one.index.kind == "kept" and one.index.rows_read == 0  # read when the child started
    assert (two.index.kind, two.index.rows_read) == ("kept", 0)  # what the first import wrote was read after it
    assert two.index.rows == 3002
    check_consistent(path)


def test_the_warm_index_sees_the_photos_another_process_imported(tmp_path: Path, worker: ImportWorker) -> None:
    """Another process imports between two imports of the warm child: the child's kept index
    follows, so nothing is imported twice and a copy of a photo the other process added is a copy."""
    mine, theirs, copies = tmp_path / "mine", tmp_path / "theirs", tmp_path / "copies"
    photos = lfw_photos(4)
    copy_photos(photos[:2], mine)
    added = copy_photos(photos[2:], theirs)
    copy_photos(added[:1], copies)
    path = tmp_path / "library.sqlite"
    _rows(path, 1500)
    with open_library(path) as library:
        worker.run(child_job(library.path, mine, group=False))
        import_folders(library, [theirs], pipeline=shared_pipeline(), settings=SETTINGS)  # this process
        result = worker.run(child_job(library.path, mine, theirs, copies, group=False))
    report, stats = result.report, worker.stats
    assert report is not None and stats is not None and stats.index is not None
    assert (report.photos_new, report.photos_unchanged, report.photos_duplicate) == (0, 4, 1)
    assert stats.index.kind == "chunks" and 0 < stats.index.rows_read < 1000
    counts = check_consistent(path)
    assert counts["photos"] == 1500 + 5 and counts["done"] == 1500 + 4
