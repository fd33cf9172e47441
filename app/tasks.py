"""Run core work on worker threads and bring the results back to the UI thread by signals.

A :class:`TaskRunner` owns three thread pools: ``io`` (short reads, thumbnails), ``writer``
(one thread, so user operations and their undo run in the order they were asked for) and
``heavy`` (one thread: imports, grouping, anything that loads the models). Each call
returns a :class:`Task` carrying a core ``CancelToken``; callbacks run in the UI thread.
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from shiboken6 import Shiboken

from core.progress import Cancelled, CancelToken

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1


@dataclass
class Task:
    """One piece of work handed to a pool. ``cancel()`` asks core code to stop."""

    id: int
    name: str
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    on_progress: Callable[[Any], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    pool: str = "io"
    token: CancelToken | None = None
    started: float = field(default_factory=time.monotonic)
    finished: bool = False

    def cancel(self) -> None:
        """Set the task's CancelToken; the core function stops at its next check."""
        if self.token is not None:
            self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return bool(self.token is not None and self.token.cancelled)


class _Signals(QObject):
    done = Signal(int, object)
    failed = Signal(int, object, str)
    cancelled = Signal(int)
    progress = Signal(int, object)


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable[..., Any], signals: _Signals, wants: tuple[bool, bool]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task, self._fn, self._signals = task, fn, signals
        self._wants_progress, self._wants_cancel = wants
        self._last_progress = 0.0

    def _progress(self, value: Any) -> None:
        now = time.monotonic()
        done = getattr(value, "total", None) is not None and getattr(value, "done", 0) >= value.total
        if done or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self._signals.progress.emit(self._task.id, value)

    def run(self) -> None:
        task = self._task
        kwargs: dict[str, Any] = {}
        try:
            if self._wants_cancel:
                kwargs["cancel"] = task.token
            if self._wants_progress:
                kwargs["progress"] = self._progress
            if task.cancelled:
                self._signals.cancelled.emit(task.id)
                return
            result = self._fn(**kwargs)
        except Cancelled:
            self._signals.cancelled.emit(task.id)
            return
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the UI
            if task.cancelled:
                self._signals.cancelled.emit(task.id)
            else:
                text = "".join(traceback.format_exception(exc))
                self._signals.failed.emit(task.id, exc, text)
            return
        self._signals.done.emit(task.id, result)


class TaskRunner(QObject):
    """Hands functions to thread pools and calls back in the UI thread."""

    taskStarted = Signal(str)
    taskFinished = Signal(str)

    def __init__(self, parent: QObject | None = None, *, io_threads: int = 2) -> None:
        super().__init__(parent)
        self.pools = {"io": QThreadPool(self), "writer": QThreadPool(self), "heavy": QThreadPool(self)}
        self.pools["io"].setMaxThreadCount(max(1, io_threads))
        self.pools["writer"].setMaxThreadCount(1)
        self.pools["heavy"].setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._signals.progress.connect(self._on_progress)
        self._tasks: dict[int, Task] = {}
        self._ids = itertools.count(1)

    def submit(self, fn: Callable[..., Any], *, pool: str = "io", name: str = "",
               on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[Any], None] | None = None,
               on_cancelled: Callable[[], None] | None = None,
               cancellable: bool = False) -> Task:
        """Run ``fn`` on ``pool``. ``fn`` gets ``progress=`` when ``on_progress`` is given and
        ``cancel=`` (a core CancelToken) when ``cancellable``."""
        task = Task(next(self._ids), name or getattr(fn, "__name__", "task"), on_done, on_error,
                    on_progress, on_cancelled, pool, CancelToken() if cancellable else None)
        self._tasks[task.id] = task
        runnable = _Runnable(task, fn, self._signals, (on_progress is not None, cancellable))
        self.pools[pool].start(runnable)
        self.taskStarted.emit(task.name)
        return task

    def busy(self, pool: str | None = None) -> bool:
        """Whether any task (on ``pool``) has not called back yet."""
        return any(pool is None or t.pool == pool for t in self._tasks.values())

    def pending(self) -> int:
        """Tasks submitted that have not called back yet."""
        return len(self._tasks)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every pool is idle (shutdown, tests, screenshots)."""
        deadline = time.monotonic() + msecs / 1000
        ok = True
        for pool in self.pools.values():
            left = max(0, int((deadline - time.monotonic()) * 1000))
            ok = pool.waitForDone(left) and ok
        return ok

    def cancel_all(self) -> None:
        """Ask every running task to stop (at shutdown)."""
        for task in list(self._tasks.values()):
            task.cancel()

    @staticmethod
    def _alive(callback: Callable[..., Any] | None) -> TypeGuard[Callable[..., Any]]:
        """False when ``callback`` is a method of a Qt object that was deleted meanwhile
        (a dialog closed before its data arrived)."""
        owner = getattr(callback, "__self__", None)
        return callback is not None and (not isinstance(owner, QObject) or Shiboken.isValid(owner))

    def _finish(self, task_id: int) -> Task | None:
        task = self._tasks.pop(task_id, None)
        if task is not None:
            task.finished = True
            self.taskFinished.emit(task.name)
        return task

    @Slot(int, object)
    def _on_done(self, task_id: int, result: Any) -> None:
        task = self._finish(task_id)
        if task is not None and self._alive(task.on_done):
            task.on_done(result)

    @Slot(int, object, str)
    def _on_failed(self, task_id: int, exc: BaseException, text: str) -> None:
        task = self._finish(task_id)
        if task is None:
            return
        if self._alive(task.on_error):
            task.on_error(exc)
        else:
            log.error("Task %s failed:\n%s", task.name, text)

    @Slot(int)
    def _on_cancelled(self, task_id: int) -> None:
        task = self._finish(task_id)
        if task is not None and self._alive(task.on_cancelled):
            task.on_cancelled()

    @Slot(int, object)
    def _on_progress(self, task_id: int, value: Any) -> None:
        task = self._tasks.get(task_id)
        if task is not None and self._alive(task.on_progress):
            task.on_progress(value)
