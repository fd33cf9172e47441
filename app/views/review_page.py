"""Review: "Is this NAME?" one face at a time, answered with Y / N / S, most uncertain first.

Suggestions come from ``core.library.grouping.review_queue``; answers go to
``answer_review`` (it assigns the face, or says it is not that person: undoable)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.operations import Operations
from app.theme import Theme
from app.thumbnails import ThumbnailService
from app.views.widgets import EmptyState, PageHeader, stack_page

if TYPE_CHECKING:
    from core.library.queries import FaceInfo

QUEUE_LIMIT = 200
BIG = 240


class ReviewPage(QWidget):
    """Answer suggestions quickly with the keyboard."""

    answered = Signal(str)  # "yes" | "no" | "skip"
    queueLoaded = Signal()

    def __init__(self, ops: Operations, thumbs: ThumbnailService, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self.thumbs, self.theme, self.store = ops, thumbs, theme, ops.store
        self.queue: list[Any] = []  # ReviewSuggestion(face_id, person_id, person_name, distance)
        self.faces: dict[int, FaceInfo] = {}
        self.position = 0
        self.loaded = False
        self.seen: set[tuple[int, int]] = set()  # (face, person) answered or skipped this session
        self.header = PageHeader("Review")
        self.face = QLabel()
        self.face.setFixedSize(BIG, BIG)
        self.face.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.face.setAccessibleName("Face to review")
        frame = QFrame()
        frame.setObjectName("reviewFace")
        inner = QVBoxLayout(frame)
        inner.setContentsMargins(14, 14, 14, 14)
        inner.addWidget(self.face)
        self.question = QLabel()
        self.question.setObjectName("reviewQuestion")
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel("Y  yes    ·    N  no    ·    S  skip    ·    Ctrl+Z  undo")
        self.hint.setObjectName("reviewHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.yes = QPushButton(theme.icon("check"), "&Yes")
        self.no = QPushButton(theme.icon("close"), "&No")
        self.skip = QPushButton(theme.icon("skip"), "&Skip")
        self.yes.setObjectName("primary")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.no, self.skip, self.yes):
            b.setMinimumWidth(110)
            buttons.addWidget(b)
        buttons.addStretch(1)
        card = QWidget()
        column = QVBoxLayout(card)
        column.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(frame)
        row.addStretch(1)
        column.addLayout(row)
        column.addSpacing(18)
        column.addWidget(self.question)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addSpacing(8)
        column.addWidget(self.hint)
        column.addStretch(2)
        self.empty = EmptyState("Nothing to review", "When FaceNet Organizer is unsure whether a face is "
                                "someone you named, it asks you here.")
        self.stack = stack_page(self, self.header, card, self.empty)
        self.yes.clicked.connect(lambda: self.answer("yes"))
        self.no.clicked.connect(lambda: self.answer("no"))
        self.skip.clicked.connect(lambda: self.answer("skip"))
        for key, what in ((Qt.Key.Key_Y, "yes"), (Qt.Key.Key_N, "no"), (Qt.Key.Key_S, "skip")):
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _=False, what=what: self.answer(what))
            self.addAction(action)
        thumbs.ready.connect(self._thumb_ready)
        self._show_current()

    def reload(self) -> None:
        """Fetch the suggestions again (most uncertain first)."""
        def fetch(session: Any) -> tuple[list[Any], dict[int, FaceInfo]]:
            from core.library import grouping, queries

            queue = grouping.review_queue(session, QUEUE_LIMIT)
            faces: dict[int, FaceInfo] = {}
            for s in queue:  # a suggestion carries its photo: that photo's faces include this one
                if s.photo_id is not None:
                    faces.update((f.id, f) for f in queries.faces_of_photo(session, s.photo_id))
            return queue, faces

        self.store.read(fetch, self._arrived, on_error=self._unavailable, name="review queue")

    def _arrived(self, result: tuple[list[Any], dict[int, FaceInfo]]) -> None:
        queue, self.faces = result
        self.queue = [s for s in queue if (s.face_id, s.person_id) not in self.seen]
        self.position = 0
        self.loaded = True
        self._show_current()
        self.queueLoaded.emit()

    def _unavailable(self, exc: BaseException) -> None:
        self.queue, self.loaded = [], True
        if isinstance(exc, ImportError):  # a core without grouping: nothing can be suggested
            self.empty.text.setText("Suggestions appear here once faces have been grouped and "
                                    "recognised.")
        else:
            self.empty.text.setText(f"Suggestions could not be loaded: {exc}")
        self._show_current()
        self.queueLoaded.emit()

    def current(self) -> Any | None:
        return self.queue[self.position] if self.position < len(self.queue) else None

    def _show_current(self) -> None:
        item = self.current()
        left = len(self.queue) - self.position
        self.header.subtitle.setText(f"{left} suggestion{'s' if left != 1 else ''} to check" if self.loaded
                                     else "Loading…")
        if item is None:
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentIndex(0)
        self.question.setText(f"Is this {item.person_name}?")
        self.yes.setText(f"&Yes, {item.person_name}")
        self._thumb_ready()
        self.yes.setFocus()

    def _thumb_ready(self, *_args: object) -> None:
        item = self.current()
        face = self.faces.get(item.face_id) if item is not None else None
        pixmap = self.thumbs.face(face, BIG) if face is not None else None
        if pixmap is not None:
            self.face.setPixmap(pixmap)
        else:
            self.face.clear()

    def answer(self, what: str) -> None:
        """"yes": the face is that person; "no": it is not; "skip": decide later."""
        item = self.current()
        if item is None or not self.isVisible():
            return
        if what in ("yes", "no"):
            self.ops.answer_review(item.face_id, item.person_id, what == "yes")
        self.seen.add((item.face_id, item.person_id))
        self.position += 1
        self._show_current()
        self.answered.emit(what)
        if self.position >= len(self.queue):
            self.reload()  # more may be waiting beyond the first QUEUE_LIMIT

