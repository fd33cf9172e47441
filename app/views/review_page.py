"""Review: "Is this NAME?" one face at a time, answered with Y / N / S, most uncertain first.

Suggestions come from ``core.library.grouping.review_queue``; answers go to
``answer_review`` (it assigns the face, or says it is not that person: undoable). The page
fetches again after every change to the library while it is shown (an undo brings an answered
suggestion back, first); a skipped suggestion is asked again after the others."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.operations import Operations
from app.theme import Theme
from app.thumbnails import ThumbnailService
from app.views.page_header import PageHeader
from app.views.review_bulk import BulkReview
from app.views.widgets import EmptyState, stack_page, tool_button

if TYPE_CHECKING:
    from core.library.queries import FaceInfo

QUEUE_LIMIT = 200
BIG = 240


class ReviewPage(QWidget):
    """Answer suggestions quickly with the keyboard."""

    answered = Signal(str)  # "yes" | "no" | "skip"
    queueLoaded = Signal()
    photoRequested = Signal(int, str)  # photo id, path (the whole photo of a face in the bulk grid)

    def __init__(self, ops: Operations, thumbs: ThumbnailService, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self.thumbs, self.theme, self.store = ops, thumbs, theme, ops.store
        self.queue: list[Any] = []  # ReviewSuggestion(face_id, person_id, ...): the one shown first
        self.faces: dict[int, FaceInfo] = {}
        self.total = 0  # suggestions waiting in the library (what the sidebar's badge says)
        self.loaded = False
        # (face, person) keys: skipped this session (asked again after the others, in this order);
        # answered and not yet stored (kept out of fetches that may not see the answer yet);
        # answered this session (one that comes back, after an undo, is asked again first).
        self.skipped: list[tuple[int, int]] = []
        self.sent: set[tuple[int, int]] = set()
        self.given: set[tuple[int, int]] = set()
        self._seq = 0
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
        self.card = card
        self.stack = stack_page(self, self.header, card, self.empty)
        self.counts: dict[int, int] = {}  # person id -> their pending suggestions
        self.bulk = BulkReview(thumbs)
        self.stack.addWidget(self.bulk)
        self.bulk_button = tool_button("", theme.icon("groups"), "Review all of this person's suggestions at once (A)")
        self.header.add(self.bulk_button)
        self.bulk_button.clicked.connect(self.open_bulk)
        self.bulk.confirmed.connect(self._bulk_confirmed)
        self.bulk.closed.connect(self.close_bulk)
        self.bulk.photoRequested.connect(self.photoRequested)
        bulk_key = QAction(self)
        bulk_key.setShortcut(QKeySequence(Qt.Key.Key_A))
        bulk_key.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        bulk_key.triggered.connect(self.open_bulk)
        self.addAction(bulk_key)
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
        self.store.changed.connect(self._library_changed)
        self._show_current()

    def _library_changed(self) -> None:
        """Any write (an answer, an undo, Group Faces Again, an import): fetch again if shown,
        else when the page is next shown."""
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        """Fetch the suggestions again (most uncertain first). Only the newest fetch is used."""
        self._seq += 1
        seq = self._seq

        def fetch(session: Any) -> tuple[list[Any], dict[int, FaceInfo], int, dict[int, int]]:
            from core.library import grouping, queries
            from core.library.review import review_counts

            queue = grouping.review_queue(session, QUEUE_LIMIT)
            faces = {f.id: f for s in queue if s.photo_id is not None
                     for f in queries.faces_of_photo(session, s.photo_id)}
            counts = {p: n for p, _name, n in review_counts(session)}
            return queue, faces, queries.count_pending_reviews(session), counts

        self.store.read(fetch, lambda result: self._arrived(seq, result),
                        on_error=lambda exc: self._unavailable(seq, exc), name="review queue")

    def _arrived(self, seq: int, result: tuple[list[Any], dict[int, FaceInfo], int, dict[int, int]]) -> None:
        if seq != self._seq:  # an older fetch: a newer one is on its way
            return
        queue, self.faces, total, self.counts = result
        fresh = [s for s in queue if _key(s) not in self.sent]
        back = [s for s in fresh if _key(s) in self.given]  # an answer undone: ask it again first
        self.given.difference_update(_key(s) for s in back)
        current = self.current()
        skip_order = {k: i for i, k in enumerate(self.skipped)}
        first = [s for s in fresh if current is not None and _key(s) == _key(current) and s not in back]
        rest = [s for s in fresh if s not in back and s not in first]
        ahead = [s for s in rest if _key(s) not in skip_order]
        later = sorted((s for s in rest if _key(s) in skip_order), key=lambda s: skip_order[_key(s)])
        self.queue = back + first + ahead + later
        if len(queue) < QUEUE_LIMIT:  # the whole queue: forget skips of suggestions that are gone
            self.skipped = [k for k in self.skipped if k in skip_order and any(_key(s) == k for s in fresh)]
        self.total = max(total - (len(queue) - len(fresh)), len(self.queue))
        self.loaded = True
        self._show_current()
        self.queueLoaded.emit()

    def _unavailable(self, seq: int, exc: BaseException) -> None:
        if seq != self._seq:
            return
        self.queue, self.total, self.loaded = [], 0, True
        if isinstance(exc, ImportError):  # a core without grouping: nothing can be suggested
            self.empty.text.setText("Suggestions appear here once faces have been grouped and "
                                    "recognised.")
        else:
            self.empty.text.setText(f"Suggestions could not be loaded: {exc}")
        self._show_current()
        self.queueLoaded.emit()

    def current(self) -> Any | None:
        """The suggestion on screen (None: nothing to review)."""
        return self.queue[0] if self.queue else None

    def _show_current(self) -> None:
        item = self.current()
        left = max(self.total, len(self.queue))
        self.header.subtitle.setText(f"{left} suggestion{'s' if left != 1 else ''} to check" if self.loaded
                                     else "Loading…")
        many = 0 if item is None else self.counts.get(item.person_id, 0)
        self.bulk_button.setText(f"&All {many} of {item.person_name}" if item is not None else "")
        self.bulk_button.setVisible(many >= 2 and self.stack.currentWidget() is not self.bulk)
        if self.stack.currentWidget() is self.bulk:
            return
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
        """"yes": the face is that person; "no": it is not; "skip": ask again after the others."""
        item = self.current()
        if item is None or not self.isVisible() or self.stack.currentWidget() is self.bulk:
            return
        key = _key(item)
        self.queue.pop(0)
        if key in self.skipped:
            self.skipped.remove(key)
        if what in ("yes", "no"):
            self.sent.add(key)  # kept out of fetches that may still see it, until it is stored
            self.given.add(key)
            self.total = max(self.total - 1, 0)
            self.ops.answer_review(item.face_id, item.person_id, what == "yes",
                                   settled=lambda: self.sent.discard(key))
        else:
            self.skipped.append(key)
            self.queue.append(item)
        self._show_current()
        self.answered.emit(what)


    # -- confirm in bulk ----------------------------------------------------------------------

    def open_bulk(self) -> None:
        """Show every suggestion of the current face's person in a grid, all selected."""
        item = self.current()
        if item is None or self.counts.get(item.person_id, 0) < 2 or not self.isVisible():
            return
        person, name = item.person_id, item.person_name

        def fetch(session: Any) -> list[Any]:
            from core.library import grouping, queries

            queue = grouping.review_queue(session, None, person_id=person)
            by_photo = {}
            for s in queue:
                if s.photo_id is not None and s.photo_id not in by_photo:
                    by_photo[s.photo_id] = {f.id: f for f in queries.faces_of_photo(session, s.photo_id)}
            return [by_photo[s.photo_id][s.face_id] for s in queue
                    if s.photo_id in by_photo and s.face_id in by_photo[s.photo_id]]

        self.store.read(fetch, lambda faces: self._bulk_arrived(person, name, faces), name="review one person")

    def _bulk_arrived(self, person: int, name: str, faces: list[Any]) -> None:
        if not faces:
            return
        self.bulk.show_faces(person, name, faces)
        self.stack.setCurrentWidget(self.bulk)
        self.bulk_button.hide()
        self.header.subtitle.setText(f"{len(faces)} suggestions of {name}")

    def _bulk_confirmed(self, person: int, yes: list[int], no: list[int]) -> None:
        for face in [*yes, *no]:
            self.given.add((face, person))
        self.ops.answer_reviews(person, yes, no)
        self.close_bulk()

    def close_bulk(self) -> None:
        self.stack.setCurrentWidget(self.card)
        self._show_current()
        self.reload()


def _key(suggestion: Any) -> tuple[int, int]:
    return (suggestion.face_id, suggestion.person_id)
