"""Progress reporting and cooperative cancellation for long-running core functions.

Every long-running function in ``core`` takes ``progress: ProgressFn | None`` and
``cancel: CancelToken | None``. The function calls ``progress(Progress(...))`` now and
then and calls ``cancel.check()`` (which raises :class:`Cancelled`) at safe points.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol


class Cancelled(Exception):
    """Raised inside a core function when its CancelToken was cancelled."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None = None
    message: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class ProgressFn(Protocol):
    def __call__(self, progress: Progress, /) -> None: ...


class CancelToken:
    """A thread-safe flag. The GUI or a signal handler sets it; core code checks it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def report(progress: ProgressFn | None, done: int, total: int | None = None, message: str = "",
           **extra: float) -> None:
    """Call ``progress`` if given."""
    if progress is not None:
        progress(Progress(done, total, message, dict(extra)))


def check(cancel: CancelToken | None) -> None:
    """Raise Cancelled if ``cancel`` is set."""
    if cancel is not None:
        cancel.check()
