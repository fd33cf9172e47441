"""The open library as the GUI sees it: open it off the UI thread, read and write through
worker threads (one Session per unit of work), and say when its contents changed.

Core modules (SQLAlchemy, Alembic) are imported only inside worker functions, so the
window appears before they are loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from app.tasks import Task, TaskRunner
from core.detection import DEFAULT_DETECTOR

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.pipeline import FacePipeline
    from core.storage.engine import Library
    from core.storage.postgres import DatabaseLocation

T = TypeVar("T")


def one_line(exc: BaseException) -> str:
    """An error as one line, with the password of any database URL in it masked (what the
    "Cannot open the library" dialog shows; a database error as the command line says it)."""
    from core.storage.postgres import mask_url

    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return mask_url(f"cannot use the library database: {line}" if orig is not None else line)


class LibraryStore(QObject):
    """Owns the :class:`core.storage.engine.Library` and the worker pools that use it."""

    opened = Signal(str)
    openFailed = Signal(str)
    changed = Signal()  # after any write: user operation, undo, import, grouping
    closed = Signal()

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.library: Library | None = None
        self.pipeline_settings: dict[str, Any] = {"detector": DEFAULT_DETECTOR, "threads": None}
        self._pipeline: FacePipeline | None = None
        self._pipeline_key: tuple[Any, ...] | None = None
        self._pipeline_lock = threading.Lock()
        self._marker: tuple[int, ...] | None = None  # the library's change marker when last seen
        self.own_writes = False  # our import process writes (app.importing): its changes are not news
        self._checking = False
        self._watch = QTimer(self)
        self._watch.timeout.connect(self.check_for_changes)

    @property
    def is_open(self) -> bool:
        return self.library is not None

    @property
    def read_only(self) -> bool:
        return self.library is not None and self.library.read_only

    def open(self, path: Path | str | DatabaseLocation) -> Task:
        """Open (creating or upgrading) the library at ``path`` on a worker thread; read-only
        when another process is writing to it."""
        self.close()

        def work() -> Library:
            from core.storage.engine import open_library
            from core.storage.errors import LibraryReadOnlyError
            from core.storage.lock import LibraryLockedError
            from core.storage.postgres import DatabaseLocation, is_database_url

            where = path if isinstance(path, DatabaseLocation) or is_database_url(path) else Path(path)  # URL: kept
            try:
                return open_library(where)
            except (LibraryLockedError, LibraryReadOnlyError):  # another process has it, or read-only: browse
                return open_library(where, read_only=True)

        return self.runner.submit(work, name="open library", on_done=self._on_opened,
                                  on_error=lambda exc: self.openFailed.emit(one_line(exc)))

    def watch_changes(self, interval_ms: int = 10_000) -> None:
        """Show what other processes and computers write: check the library's change marker
        every ``interval_ms`` and whenever the app becomes active; emit :attr:`changed` when it
        moved (a shared PostgreSQL library, or a file another process writes)."""
        self._watch.start(interval_ms)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(
                lambda state: self.check_for_changes() if state == Qt.ApplicationState.ApplicationActive else None)

    def check_for_changes(self) -> None:
        library = self.library
        if library is None or self._checking:
            return
        from core.storage.changes import change_marker  # core loads in worker threads only

        self._checking = True

        def done(marker: tuple[int, ...]) -> None:
            self._checking = False
            if self.library is not library:
                return
            seen, self._marker = self._marker, marker
            if seen is not None and seen != marker and not self.own_writes:
                self.changed.emit()

        def failed(_exc: BaseException) -> None:
            self._checking = False

        self.runner.submit(lambda: change_marker(library), name="check for changes", on_done=done, on_error=failed)

    def take_marker(self) -> None:
        """Our own writes are shown (an import ended): the library's change marker as it is now is
        the baseline, only later changes are news."""
        self._marker = None
        self.check_for_changes()

    def _on_opened(self, library: Library) -> None:
        self.library = library
        self._marker = None
        if self._watch.isActive():
            self.check_for_changes()  # the baseline
        self.opened.emit(str(library.path))

    def close(self) -> None:
        """Stop using the library and release its writer lock."""
        if self.library is None:
            return
        self.runner.cancel_all()
        self.runner.wait(30_000)
        self.library.close()
        self.library = None
        self.closed.emit()

    def read(self, fn: Callable[[Session], T], on_done: Callable[[T], None], *,
             on_error: Callable[[BaseException], None] | None = None, name: str = "read") -> Task | None:
        """Run ``fn(session)`` on a reader thread; ``on_done(result)`` in the UI thread."""
        work = self._in_session(fn)
        if work is None:
            return None
        return self.runner.submit(work, name=name, on_done=on_done, on_error=on_error)

    def write(self, fn: Callable[[Session], T], on_done: Callable[[T], None] | None = None, *,
              on_error: Callable[[BaseException], None] | None = None, name: str = "write") -> Task | None:
        """Run ``fn(session)`` on the single writer thread (in submission order), commit, then
        call ``on_done`` and emit :attr:`changed` in the UI thread."""
        work = self._in_session(fn)
        if work is None:
            return None

        def done(result: T) -> None:
            if on_done is not None:
                on_done(result)
            self._marker = None  # our own write: the next check takes a new baseline, no reload
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            if on_error is not None:
                on_error(exc)
            self.changed.emit()

        return self.runner.submit(work, pool="writer", name=name, on_done=done, on_error=failed)

    def _in_session(self, fn: Callable[[Session], T]) -> Callable[[], T] | None:
        """``fn`` run in a session of the open library (None: no library is open)."""
        library = self.library
        if library is None:
            return None

        def work() -> T:
            with library.session() as session:
                return fn(session)

        return work

    def use_pipeline(self, pipeline: FacePipeline) -> None:
        """Use an existing pipeline (models already loaded) instead of building one; imports,
        which build their own in a child process, take its embedder settings."""
        from dataclasses import asdict

        self.pipeline_settings["embedder"] = asdict(pipeline.settings.embedder)
        with self._pipeline_lock:
            self._pipeline = pipeline
            self._pipeline_key = (pipeline.settings.detector,)

    def pipeline(self) -> FacePipeline:
        """The shared FacePipeline (detector from the settings), built on first use. Call from
        a worker thread only: it imports torch and OpenCV and loads the models."""
        from core.pipeline import FacePipeline, PipelineSettings

        key = (str(self.pipeline_settings.get("detector") or DEFAULT_DETECTOR),)
        with self._pipeline_lock:
            if self._pipeline is None or self._pipeline_key != key:
                self._pipeline, self._pipeline_key = FacePipeline(PipelineSettings(detector=key[0])), key
            return self._pipeline
