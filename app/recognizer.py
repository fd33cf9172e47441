"""After a naming, recognise that person among the faces nobody named, in the background.

The core makes the plan on a reader thread (:func:`core.library.recognize_named.plan_for_people`)
and writes it on the writer thread (:func:`core.library.recognize_named.apply_plan`); the pages
then reload through the store's ``changed`` signal. People named while one runs are done next,
together."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from app.store import LibraryStore


class NamedRecognizer(QObject):
    """Runs one recognition at a time for the people named since the last one."""

    finished = Signal(object)  # core NamedRecognition
    failed = Signal(str)

    def __init__(self, store: LibraryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.pending: set[int] = set()
        self.running = False

    def person_named(self, person_id: int) -> None:
        self.pending.add(int(person_id))
        self._next()

    def _next(self) -> None:
        if self.running or not self.pending or self.store.library is None or self.store.read_only:
            return
        people = sorted(self.pending)
        self.pending.clear()
        self.running = True

        def plan(session: Any) -> Any:
            from core.library.recognize_named import plan_for_people

            return plan_for_people(session, people)

        if self.store.read(plan, self._planned, on_error=self._failed, name="recognise named people") is None:
            self.running = False

    def _planned(self, plan: Any) -> None:
        if len(plan.face_ids) == 0:  # nothing to write: no reload
            self._settle()
            return

        def apply(session: Any) -> Any:
            from core.library.recognize_named import apply_plan

            return apply_plan(session, plan)

        if self.store.write(apply, self._applied, on_error=self._failed, name="recognise named people") is None:
            self._settle()

    def _applied(self, result: Any) -> None:
        self.finished.emit(result)
        self._settle()

    def _failed(self, exc: BaseException) -> None:
        self.failed.emit(str(exc) or type(exc).__name__)
        self._settle()

    def _settle(self) -> None:
        self.running = False
        self._next()
