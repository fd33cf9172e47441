"""Deterministic fault injection at named commit points, for the crash tests.

Writers call :func:`point` at each place where a crash must leave the library as it was before
the unit of work, or as after it: inside a transaction just before its commit, and right after a
commit. Nothing happens unless a test armed a point, in this process with :func:`arm`, or in a
child through ``FACEORG_FAULT=NAME:N[:exit]``: the Nth pass of NAME then raises
:class:`FaultInjected` (a BaseException, so no ``except Exception`` swallows it) or, with
``exit``, ends the process at once with :data:`EXIT_CODE` (no cleanup: like a kill -9).

Points: ``import.restore``, ``import.faces`` (a photo's faces and embeddings written, its batch
not committed), ``import.batch`` (a batch written, not committed), ``import.committed`` (just
after a batch's commit), ``import.vanished``, ``grouping.write``, ``undo.record`` (a user
operation and its undo log entry written, not committed), ``undo.apply`` (an undo or redo).
"""

from __future__ import annotations

import os
import threading

EXIT_CODE = 86
POINTS = ("import.restore", "import.faces", "import.batch", "import.committed", "import.vanished",
          "grouping.write", "undo.record", "undo.apply")


class FaultInjected(BaseException):
    """Raised at an armed fault point."""


_lock = threading.Lock()
_armed: dict[str, tuple[int, str]] = {}  # name -> (passes left before it fires, "raise" | "exit")


def arm(name: str, nth: int = 1, mode: str = "raise") -> None:
    """Fire at the ``nth`` pass of point ``name`` from now ("raise" or "exit")."""
    if name not in POINTS or nth < 1 or mode not in ("raise", "exit"):
        raise ValueError(f"bad fault {name}:{nth}:{mode}")
    with _lock:
        _armed[name] = (nth, mode)


def disarm() -> None:
    with _lock:
        _armed.clear()


def point(name: str) -> None:
    """A commit point: does nothing unless armed (see the module doc)."""
    if not _armed:
        return
    with _lock:
        left, mode = _armed.get(name, (0, ""))
        if not left:
            return
        if left > 1:
            _armed[name] = (left - 1, mode)
            return
        del _armed[name]
    if mode == "exit":
        os._exit(EXIT_CODE)
    raise FaultInjected(name)


def _from_environment() -> None:
    spec = os.environ.get("FACEORG_FAULT", "")
    if spec:
        name, nth, *mode = spec.split(":")
        arm(name, int(nth), mode[0] if mode else "raise")


_from_environment()
