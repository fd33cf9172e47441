"""Helpers for the GUI tests (imported as ``gui_support``, like the core tests' support
modules): seeding a library through core APIs, reading it, finding dialogs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.storage.engine import open_library

WAIT_MS = 20_000
REPO = Path(__file__).resolve().parents[2]


def seed(path: Path, fn: Callable[[Session], Any]) -> Any:
    """Run ``fn(session)`` on the library at ``path`` (opened and closed again: the app
    opens it afterwards, and a library has one writer at a time)."""
    with open_library(path) as lib, lib.session() as session:
        return fn(session)


def idle(window: Any) -> bool:
    """No background task is pending (reads, writes, imports)."""
    return window.ctx.runner.pending() == 0


def read(window: Any, fn: Callable[[Session], Any]) -> Any:
    """Query the window's open library directly (a separate Session; reads never lock)."""
    assert window.ctx.store.library is not None
    with window.ctx.store.library.session() as session:
        return fn(session)


def find_dialog(qtbot: Any, window: Any, kind: type) -> Any:
    """The visible dialog of type ``kind`` that the window opened (waits for it)."""
    found: list[Any] = []

    def shown() -> bool:
        found[:] = [d for d in window.findChildren(kind) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]
