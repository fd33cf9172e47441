""""Are these the same person?": look-alike groups and people (core.library.merge_suggestions),
one pair at a time. Yes (Y) merges them (undoable), No (N) is remembered so the pair is never
asked again, Skip (S) goes on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.operations import Operations
from app.thumbnails import ThumbnailService

FACE = 180


class MergeDialog(QDialog):
    """Asks about each suggested pair in turn."""

    pairShown = Signal()

    def __init__(self, ops: Operations, thumbs: ThumbnailService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Are These the Same Person?")
        self.ops, self.thumbs, self.store = ops, thumbs, ops.store
        self.pairs: list[Any] = []
        self.faces: dict[int, Any] = {}
        self.question = QLabel("Looking for look-alikes…")
        self.question.setObjectName("reviewQuestion")
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.images = [QLabel(), QLabel()]
        self.captions = [QLabel(), QLabel()]
        grid = QGridLayout()
        for i in range(2):
            self.images[i].setFixedSize(FACE, FACE)
            self.images[i].setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.captions[i].setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(self.images[i], 0, i, Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(self.captions[i], 1, i)
        self.no = QPushButton("&No")
        self.skip = QPushButton("&Skip")
        self.yes = QPushButton("&Yes, Merge")
        self.yes.setObjectName("primary")
        row = QHBoxLayout()
        row.addStretch(1)
        for b in (self.no, self.skip, self.yes):
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addLayout(grid)
        layout.addLayout(row)
        self.no.clicked.connect(lambda: self.answer("no"))
        self.skip.clicked.connect(lambda: self.answer("skip"))
        self.yes.clicked.connect(lambda: self.answer("yes"))
        for key, what in ((Qt.Key.Key_Y, "yes"), (Qt.Key.Key_N, "no"), (Qt.Key.Key_S, "skip")):
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, what=what: self.answer(what))
            self.addAction(action)
        thumbs.ready.connect(self._show_faces)
        self._set_buttons(False)

    def load(self) -> None:
        def fetch(session: Any) -> tuple[list[Any], dict[int, Any]]:
            from core.library.merge_suggestions import suggest_merges
            from core.library.queries import faces_by_id

            pairs = suggest_merges(session)
            covers = [c for p in pairs for c in (p.a_cover, p.b_cover) if c is not None]
            return pairs, {f.id: f for f in faces_by_id(session, covers)}

        self.store.read(fetch, self._arrived, name="merge suggestions")

    def _arrived(self, result: tuple[list[Any], dict[int, Any]]) -> None:
        self.pairs, self.faces = result
        self._show()

    def current(self) -> Any | None:
        return self.pairs[0] if self.pairs else None

    def _set_buttons(self, on: bool) -> None:
        for b in (self.no, self.skip, self.yes):
            b.setEnabled(on)

    def _label(self, group: tuple[str, int], n: int) -> str:
        faces = "1 face" if n == 1 else f"{n} faces"
        return f"{self.ops.people.get(group[1], '?')} · {faces}" if group[0] == "person" else f"Unnamed group · {faces}"

    def _show(self) -> None:
        pair = self.current()
        self._set_buttons(pair is not None)
        if pair is None:
            self.question.setText("No look-alikes left to ask about.")
            for i in range(2):
                self.images[i].clear()
                self.captions[i].setText("")
            self.pairShown.emit()
            return
        self.question.setText("Are these the same person?")
        self.captions[0].setText(self._label(pair.a, pair.a_faces))
        self.captions[1].setText(self._label(pair.b, pair.b_faces))
        self._show_faces()
        self.yes.setFocus()
        self.pairShown.emit()

    def _show_faces(self, *_args: object) -> None:
        pair = self.current()
        for i, cover in enumerate((pair.a_cover, pair.b_cover) if pair is not None else ()):
            face = self.faces.get(cover)
            pixmap = self.thumbs.face(face, FACE) if face is not None else None
            if pixmap is not None:
                self.images[i].setPixmap(pixmap)

    def answer(self, what: str) -> None:
        pair = self.current()
        if pair is None:
            return
        self.pairs.pop(0)
        if what == "yes":
            self._merge(pair)
        elif what == "no":
            self.ops.reject_merge(pair.a, pair.b)
        else:
            self.pairs.append(pair)
        self._show()

    def _merge(self, pair: Any) -> None:
        a, b = pair.a, pair.b
        if a[0] == "cluster" and b[0] == "cluster":
            target, source = (a, b) if pair.a_faces >= pair.b_faces else (b, a)
            self.ops.merge_groups([source[1]], target[1])
        elif a[0] == "cluster":  # the group is that person
            self.ops.merge([a], b)
        else:  # two people: the one with more faces keeps the name
            target, source = (a, b) if pair.a_faces >= pair.b_faces else (b, a)
            self.ops.merge_people([source[1]], target[1])
        self.pairs = [p for p in self.pairs if not {p.a, p.b} & {a, b}]  # those changed: ask again later
