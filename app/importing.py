"""Importing folders and regrouping faces in the background, with progress, cancel, and a queue
for folders dropped meanwhile.

The work runs in a child process that writes under this process's writer lock; a thread of the
heavy pool waits for it and relays its progress and result as signals. So neither torch nor the
import's long GIL-holding steps ever run in this process, and the UI thread never waits for them.
That child is kept warm between imports (:mod:`core.library.import_worker_process`): it is started
when a library opens for writing (or at the first import), loads the models once, and runs every
import and grouping of this window until the window closes (:meth:`ImportController.shutdown`).
Between jobs it keeps the open library's photo index (read when the library opens, then only what
changed: :mod:`core.library.index_cache`); it stays when the library changes and reads the new one's.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.store import LibraryStore
from app.tasks import Task
from core.clustering.strictness import DEFAULT_STRICTNESS
from core.detection import DEFAULT_DETECTOR
from core.library.import_job import ImportJob
from core.library.import_rate import RateMeter
from core.library.import_worker_process import ImportWorker, WarmSpec

log = logging.getLogger(__name__)


@dataclass
class ImportStatus:
    """What the status bar shows while a job runs."""

    phase: str  # "import" | "group"
    done: int = 0
    total: int | None = None
    faces: int = 0
    rate: float = 0.0  # photos per second
    eta_s: float | None = None
    message: str = ""
    committed: int | None = None  # photos stored so far (the importer's transactions)


@dataclass
class ImportOutcome:
    """An import's report (core ImportReport) and the grouping that followed, if any."""

    report: Any = None
    grouping: Any = None
    cancelled: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)
    grouping_error: str = ""
    grouping_cancelled: bool = False   # the import finished, the cancel came while grouping


def _status(phase: str, p: Any) -> ImportStatus:
    extra = dict(getattr(p, "extra", {}) or {})
    total = extra.get("files_total", getattr(p, "total", None))
    committed = extra.get("committed")
    return ImportStatus(phase, int(extra.get("files_done", getattr(p, "done", 0))),
                        None if total is None else int(total), int(extra.get("faces", 0)),
                        message=str(getattr(p, "message", "")),
                        committed=None if committed is None else int(committed))


class ImportController(QObject):
    """Runs one import (then grouping) at a time; folders dropped meanwhile wait their turn."""

    started = Signal(list)  # folder paths
    progress = Signal(object)  # ImportStatus
    committed = Signal(int)  # photos stored so far in this import: the pages can show them
    finished = Signal(object)  # ImportOutcome
    failed = Signal(str)

    def __init__(self, store: LibraryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.strictness: str = DEFAULT_STRICTNESS
        self.task: Task | None = None
        self.queue: list[list[Path]] = []
        self.last: ImportOutcome | None = None
        self.meter = RateMeter()
        self._committed = 0
        self.worker = ImportWorker()  # the warm import process
        self.warm_on_open = True  # start it when a library opens for writing
        store.opened.connect(self._library_opened)

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self, paths: list[Path]) -> None:
        """Import files and folders (recursively); queued if an import is running."""
        paths = [Path(p) for p in paths]
        if not paths:
            return
        if self.running or self.store.library is None:
            self.queue.append(paths)
            return
        if self._refuse_read_only():
            return
        self._submit(self._job(tuple(str(p) for p in paths)), "import")
        self.started.emit([str(p) for p in paths])

    def regroup(self) -> None:
        """Group the faces again (after the strictness changed)."""
        if self.running or self.store.library is None or self._refuse_read_only():
            return
        self._submit(self._job(()), "regroup")
        self.started.emit([])

    def _refuse_read_only(self) -> bool:
        """A library opened read-only (another process writes to it) cannot take an import."""
        if not self.store.read_only:
            return False
        self.failed.emit("the library is open read-only: another window or command is writing to it")
        return True

    def _library_opened(self, _path: str) -> None:
        if self.warm_on_open and not self.store.read_only:
            self.warm_up()

    def warm_up(self) -> None:
        """Start the import process now (if none runs), so that the next import starts at once."""
        settings, library = self.store.pipeline_settings, self.store.library
        self.worker.warm = WarmSpec(str(settings.get("detector") or DEFAULT_DETECTOR),
                                    dict(settings.get("embedder") or {}),
                                    None if library is None else library.location)
        self.worker.start()

    def shutdown(self) -> None:
        """Cancel what runs and stop the import process (the window closes)."""
        self.cancel()
        self.worker.close()

    def _job(self, paths: tuple[str, ...]) -> ImportJob:
        """The core job for ``paths`` (none: group only), written under this process's lock."""
        library, settings = self.store.library, self.store.pipeline_settings
        assert library is not None
        return ImportJob(library.location, paths, strictness=self.strictness,
                         detector=str(settings.get("detector") or DEFAULT_DETECTOR),
                         workers=int(settings.get("threads") or 0) or None,
                         embedder=dict(settings.get("embedder") or {}), holder_pid=os.getpid())

    def _submit(self, job: ImportJob, name: str) -> None:
        def work(progress: Any, cancel: Any) -> ImportOutcome:
            result = self.worker.run(job, progress=lambda phase, p: progress(_status(phase, p)), cancel=cancel)
            report = result.report
            return ImportOutcome(report, result.grouping, result.cancelled,
                                 [(str(a), str(b)) for a, b in getattr(report, "errors", [])],
                                 result.grouping_error, result.grouping_cancelled)

        # The heavy pool's thread only waits for the child process and relays its messages.
        self.meter, self._committed = RateMeter(), 0
        self.store.own_writes = True  # what the job writes shows through committed and _next, not as a change
        self.task = self.store.runner.submit(
            work, pool="heavy", name=name, on_done=self._done, on_error=self._failed,
            on_progress=self._progress, on_cancelled=self._cancelled, cancellable=True)

    def _progress(self, status: ImportStatus) -> None:
        """The speed from committed photos, smoothed, and a time left only once it is steady
        (core.library.import_rate); say when more photos are stored."""
        if status.phase == "import" and status.committed is not None:
            self.meter.update(time.monotonic(), status.committed)
            status.rate = self.meter.rate or 0.0
            status.eta_s = None if status.total is None else self.meter.eta(status.total - status.committed)
            if status.committed > self._committed:
                self._committed = status.committed
                self.committed.emit(status.committed)
        self.progress.emit(status)

    def cancel(self) -> None:
        """Stop the running job at its next check (what is imported so far stays)."""
        self.queue.clear()
        if self.task is not None:
            self.task.cancel()

    def _next(self) -> None:
        self.task = None
        self.store.own_writes = False
        self.store.take_marker()  # the pages reload now (changed): the next change seen is someone else's
        self.store.changed.emit()
        if self.warm_on_open and self.store.library is not None and not self.store.read_only:
            self.warm_up()  # a child killed after an overdue cancel, or one that died: replaced now
        if self.queue:
            self.start(self.queue.pop(0))

    def _done(self, outcome: ImportOutcome) -> None:
        self.last = outcome
        self.finished.emit(outcome)
        self._next()

    def _cancelled(self) -> None:
        self.last = ImportOutcome(cancelled=True)
        self.finished.emit(self.last)
        self._next()

    def _failed(self, exc: BaseException) -> None:
        detail = getattr(exc, "detail", "")  # the child's traceback (core.library.import_job.ImportJobError)
        if detail:
            log.error("Import failed:\n%s", detail)
        self.failed.emit(str(exc) or type(exc).__name__)
        self._next()

