"""Importing folders and regrouping faces in the background (core importer and grouping on
the heavy worker thread), with progress, cancel, and a queue for folders dropped meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.store import LibraryStore
from app.tasks import Task


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


@dataclass
class ImportOutcome:
    """An import's report (core ImportReport) and the grouping that followed, if any."""

    report: Any = None
    grouping: Any = None
    cancelled: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)
    grouping_error: str = ""


def _status(phase: str, p: Any) -> ImportStatus:
    extra = dict(getattr(p, "extra", {}) or {})
    total = extra.get("files_total", getattr(p, "total", None))
    eta = extra.get("eta_s")
    return ImportStatus(phase, int(extra.get("files_done", getattr(p, "done", 0))),
                        None if total is None else int(total), int(extra.get("faces", 0)),
                        float(extra.get("photos_per_s", 0.0)), None if eta is None else float(eta),
                        str(getattr(p, "message", "")))


class ImportController(QObject):
    """Runs one import (then grouping) at a time; folders dropped meanwhile wait their turn."""

    started = Signal(list)  # folder paths
    progress = Signal(object)  # ImportStatus
    finished = Signal(object)  # ImportOutcome
    failed = Signal(str)

    def __init__(self, store: LibraryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.strictness = "normal"
        self.task: Task | None = None
        self.queue: list[list[Path]] = []
        self.last: ImportOutcome | None = None

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
        library, store, strictness = self.store.library, self.store, self.strictness
        workers = int(store.pipeline_settings.get("threads") or 0)

        def work(progress: Any, cancel: Any) -> ImportOutcome:
            from core.library.importer import ImportSettings, import_folders

            pipeline = store.pipeline()
            settings = ImportSettings(detector=pipeline.settings.detector)
            if workers:
                settings = ImportSettings(workers=workers, detector=pipeline.settings.detector)
            report = import_folders(library, paths, pipeline=pipeline, settings=settings,
                                    progress=lambda p: progress(_status("import", p)), cancel=cancel)
            outcome = ImportOutcome(report, cancelled=bool(getattr(report, "cancelled", False)),
                                    errors=[(str(a), str(b)) for a, b in getattr(report, "errors", [])])
            if outcome.cancelled:
                return outcome
            outcome.grouping, outcome.grouping_error = _regroup(library, strictness, progress, cancel)
            return outcome

        self.task = self.store.runner.submit(
            work, pool="heavy", name="import", on_done=self._done, on_error=self._failed,
            on_progress=self.progress.emit, on_cancelled=self._cancelled, cancellable=True)
        self.started.emit([str(p) for p in paths])

    def regroup(self) -> None:
        """Group the faces again (after the strictness changed)."""
        if self.running or self.store.library is None:
            return
        library, strictness = self.store.library, self.strictness

        def work(progress: Any, cancel: Any) -> ImportOutcome:
            grouping, error = _regroup(library, strictness, progress, cancel)
            if error:
                raise RuntimeError(error)
            return ImportOutcome(grouping=grouping)

        self.task = self.store.runner.submit(
            work, pool="heavy", name="regroup", on_done=self._done, on_error=self._failed,
            on_progress=self.progress.emit, on_cancelled=self._cancelled, cancellable=True)
        self.started.emit([])

    def cancel(self) -> None:
        """Stop the running job at its next check (what is imported so far stays)."""
        self.queue.clear()
        if self.task is not None:
            self.task.cancel()

    def _next(self) -> None:
        self.task = None
        self.store.changed.emit()
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
        self.failed.emit(str(exc) or type(exc).__name__)
        self._next()


def _regroup(library: Any, strictness: str, progress: Any, cancel: Any) -> tuple[Any, str]:
    """Run core grouping if this version of the core has it."""
    try:
        from core.library.grouping import regroup
    except ImportError as exc:
        return None, f"grouping is not available ({exc})"
    result = regroup(library, strictness, progress=lambda p: progress(_status("group", p)), cancel=cancel)
    return result, ""
