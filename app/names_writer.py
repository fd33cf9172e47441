"""Writing the library's names into the photos' XMP (core :func:`core.metadata.export.export_xmp`) on
the heavy worker thread, with progress and cancel; and, when the "Write names to photos" setting is
on, again a few seconds after the names change (sidecars only: the photos themselves are never
touched automatically)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.store import LibraryStore
from app.tasks import Task

AUTO_DELAY_MS = 3000  # after the last change, so that a burst of edits is written once


class NamesWriter(QObject):
    """One export at a time; ``auto``: write after every change of the library."""

    progress = Signal(object)  # core Progress
    finished = Signal(object)  # core ExportReport
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, store: LibraryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.task: Task | None = None
        self.auto = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTO_DELAY_MS)
        self._timer.timeout.connect(lambda: self.start())
        store.changed.connect(self._changed)

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self, *, embedded: bool = False) -> bool:
        """Write now (sidecars ``photo.jpg.xmp`` unless ``embedded``); False if it cannot start."""
        library = self.store.library
        if self.running or library is None or library.read_only:
            return False

        def work(progress: Any, cancel: Any) -> Any:
            from core.metadata.export import export_xmp

            return export_xmp(library, embedded=embedded, progress=progress, cancel=cancel)

        self.task = self.store.runner.submit(work, pool="heavy", name="write names", on_done=self._done,
                                             on_error=self._failed, on_progress=self.progress.emit,
                                             on_cancelled=self._cancelled, cancellable=True)
        return True

    def cancel(self) -> None:
        self._timer.stop()
        if self.task is not None:
            self.task.cancel()

    def _changed(self) -> None:
        if self.auto and not self.store.read_only:
            self._timer.start()

    def _done(self, report: Any) -> None:
        self.task = None
        if report.embedded:
            self.store.changed.emit()  # the library follows the rewritten files
        self.finished.emit(report)

    def _cancelled(self) -> None:
        self.task = None
        self.cancelled.emit()

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self.failed.emit(str(exc) or type(exc).__name__)
