"""Undo / Redo: a QUndoStack whose commands call core people operations, and core
``undo_last`` / ``redo_last`` to take them back.

The core keeps its own operation log with exact row snapshots; this stack mirrors the
operations done in this window. All of them run on the store's single writer thread in
the order they were asked for, so the n-th command on the stack is always the n-th
operation in the core log. Each command remembers the core's description of what it did
and checks it before undoing, so the two can never silently drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.store import LibraryStore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class UndoOutOfStepError(RuntimeError):
    """The core log's newest operation is not the one this command made."""


class CoreCommand(QUndoCommand):
    """One user operation. The first redo runs ``op(session)``; later ones replay it."""

    def __init__(self, controller: UndoController, text: str, op: Callable[[Session], Any],
                 on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        super().__init__(text)
        self._controller = controller
        self._op = op
        self._on_done, self._on_error = on_done, on_error
        self._first = True
        self.core_text: str | None = None  # what the core log calls it
        self.failed = False

    def redo(self) -> None:
        store = self._controller.store
        if self._first:
            self._first = False
            op = self._op

            def work(session: Session) -> tuple[Any, str | None]:
                from core.library.undo import peek_undo

                result = op(session)
                return result, peek_undo(session)

            store.write(work, self._did, on_error=self._failed, name=self.text())
            return
        expected = self.core_text

        def replay(session: Session) -> str | None:
            from core.library.undo import peek_redo, redo_last

            if expected is not None and peek_redo(session) != expected:
                raise UndoOutOfStepError(f"Cannot redo “{self.text()}”: the library changed since")
            return redo_last(session)

        store.write(replay, on_error=self._controller.broken, name="redo " + self.text())

    def undo(self) -> None:
        if self.failed:
            return
        expected = self.core_text

        def revert(session: Session) -> str | None:
            from core.library.undo import peek_undo, undo_last

            if expected is not None and peek_undo(session) != expected:
                raise UndoOutOfStepError(f"Cannot undo “{self.text()}”: the library changed since")
            return undo_last(session)

        self._controller.store.write(revert, on_error=self._controller.broken, name="undo " + self.text())

    def _did(self, value: tuple[Any, str | None]) -> None:
        result, self.core_text = value
        if self._on_done is not None:
            self._on_done(result)
        self._controller.done.emit(self.text())

    def _failed(self, exc: BaseException) -> None:
        self.failed = True
        self.setObsolete(True)
        stack = self._controller.stack
        if stack.index() > 0 and stack.command(stack.index() - 1) is self:
            stack.undo()  # obsolete: dropped from the stack without calling undo()
        if self._on_error is not None:
            self._on_error(exc)
        else:
            self._controller.error.emit(str(exc))


class UndoController(QObject):
    """The window's undo stack plus the store its commands write through."""

    error = Signal(str)
    done = Signal(str)

    def __init__(self, store: LibraryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.stack = QUndoStack(self)
        store.opened.connect(lambda _path: self.stack.clear())

    def push(self, text: str, op: Callable[[Session], Any], *,
             on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None) -> None:
        """Do ``op`` (a core people operation on a Session) as an undoable step."""
        self.stack.push(CoreCommand(self, text, op, on_done, on_error))

    def broken(self, exc: BaseException) -> None:
        """An undo or redo failed: the stack no longer matches the library, so start over."""
        self.stack.clear()
        self.error.emit(str(exc))
