"""Confirm in bulk: one person's suggestions in a grid, all selected; click off the wrong ones,
then Return says yes to the selected and no to the others (one undo step). Space opens the photo
of the face under the cursor; Escape goes back to one at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.thumbnails import ThumbnailService

if TYPE_CHECKING:
    from core.library.queries import FaceInfo

CELL = 128


class BulkReview(QWidget):
    """The grid of one person's suggested faces."""

    confirmed = Signal(int, list, list)  # person id, faces that are them, faces that are not
    photoRequested = Signal(int, str)  # photo id, path
    closed = Signal()

    def __init__(self, thumbs: ThumbnailService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self.person_id, self.name = 0, ""
        self.faces: dict[int, FaceInfo] = {}
        self.caption = QLabel("")
        self.caption.setObjectName("reviewQuestion")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.hint = QLabel("Click the faces that are not them  ·  Return  confirm  ·  Space  whole photo  ·  "
                           "Esc  one at a time")
        self.hint.setObjectName("reviewHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = QListWidget()
        self.grid.setObjectName("facesView")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setIconSize(QSize(CELL, CELL))
        self.grid.setGridSize(QSize(CELL + 16, CELL + 16))
        self.grid.setUniformItemSizes(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)  # a click toggles
        self.grid.setAccessibleName("Suggested faces")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(self.caption)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.hint)
        for keys, slot in ((QKeySequence(Qt.Key.Key_Return), self.confirm),
                           (QKeySequence(Qt.Key.Key_Enter), self.confirm),
                           (QKeySequence(Qt.Key.Key_Space), self.open_photo),
                           (QKeySequence(Qt.Key.Key_Escape), self.closed.emit)):
            action = QAction(self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        thumbs.ready.connect(self._thumbs_ready)

    def show_faces(self, person_id: int, name: str, faces: list[FaceInfo]) -> None:
        """All selected: the user takes away the wrong ones."""
        self.person_id, self.name = person_id, name
        self.faces = {f.id: f for f in faces}
        self.grid.clear()
        for face in faces:
            item = QListWidgetItem("")
            item.setData(Qt.ItemDataRole.UserRole, face.id)
            item.setToolTip(face.photo_path)
            self.grid.addItem(item)
            item.setSelected(True)
        if self.grid.count():
            self.grid.setCurrentRow(0, self.grid.selectionModel().SelectionFlag.NoUpdate)
        self._thumbs_ready()
        self._caption()
        self.grid.itemSelectionChanged.connect(self._caption, Qt.ConnectionType.UniqueConnection)
        self.grid.setFocus()

    def _caption(self) -> None:
        chosen, total = len(self.chosen()), self.grid.count()
        self.caption.setText(f"{chosen} of {total} photos are {self.name}? Click off the ones that are not, "
                             "then press Return.")

    def _thumbs_ready(self, *_args: object) -> None:
        for row in range(self.grid.count()):
            item = self.grid.item(row)
            if item.icon().isNull():
                face = self.faces.get(item.data(Qt.ItemDataRole.UserRole))
                pixmap = self.thumbs.face(face, CELL) if face is not None else None
                if pixmap is not None:
                    item.setIcon(pixmap)

    def chosen(self) -> list[int]:
        return [self.grid.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.grid.count())
                if self.grid.item(r).isSelected()]

    def confirm(self) -> None:
        yes = self.chosen()
        no = [f for f in self.faces if f not in set(yes)]
        if yes or no:
            self.confirmed.emit(self.person_id, yes, no)

    def open_photo(self) -> None:
        item = self.grid.currentItem()
        face: Any = self.faces.get(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
        if face is not None:
            self.photoRequested.emit(face.photo_id, face.photo_path)
