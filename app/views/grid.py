"""Grid list views: fixed-size items in icon mode, repainting as thumbnails arrive, and
card-on-card drops (merge) with the target highlighted."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QWidget

from app.itemmodels.cards import MIME


class GridView(QListView):
    """A virtualised grid: uniform item sizes, batched layout, pixel scrolling."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setWrapping(True)
        self.setSpacing(0)
        self.setMouseTracking(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(30)
        self._repaint.timeout.connect(self.viewport().update)

    def schedule_repaint(self, *_args: object) -> None:
        """Coalesce "a thumbnail arrived" into one repaint every 30 ms."""
        if not self._repaint.isActive():
            self._repaint.start()

    def set_cell(self, size: QSize, *, square: bool = False) -> None:
        """Cells of about ``size``, widened so that the columns fill the row (``square``:
        heights follow the widths)."""
        self._cell, self._square = size, square
        self._fit_cells()

    def _fit_cells(self) -> None:
        cell = getattr(self, "_cell", None)
        if cell is None:
            return
        # the room QListView lays items out in: it always keeps space for the scroll bar
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self.verticalScrollBar())
        width = self.maximumViewportSize().width() - bar - 1
        columns = max(1, width // cell.width())
        w = max(cell.width(), width // columns)
        size = QSize(w, w if self._square else cell.height())
        if size != self.gridSize():
            self.setGridSize(size)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit_cells()
        return super().viewportEvent(event)

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedIndexes())


class CardsView(GridView):
    """The People / Groups grid: drag one card onto another to merge them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("cardsView", parent)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def _set_target(self, index: QModelIndex) -> None:
        delegate = self.itemDelegate()
        row = index.row() if index.isValid() else -1
        if getattr(delegate, "drop_row", -1) != row:
            delegate.drop_row = row  # type: ignore[attr-defined]
            self.viewport().update()

    def _forward(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        """Files dragged over the grid go to the window, which imports them (Qt does not pass
        drag events on to the parent of a widget that accepts drops)."""
        if event.mimeData().hasFormat(MIME):
            return False
        handler = {QEvent.Type.DragEnter: "dragEnterEvent", QEvent.Type.DragMove: "dragMoveEvent",
                   QEvent.Type.Drop: "dropEvent"}[event.type()]
        getattr(self.window(), handler)(event)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._forward(event):
            return
        self.setState(QAbstractItemView.State.DraggingState)
        event.acceptProposedAction()  # which card it may land on is decided while it moves

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._forward(event):
            return
        index = self.indexAt(event.position().toPoint())
        can = index.isValid() and self.model().canDropMimeData(
            event.mimeData(), Qt.DropAction.MoveAction, -1, -1, index)
        self._set_target(index if can else QModelIndex())
        if can:
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_target(QModelIndex())
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_target(QModelIndex())
        if self._forward(event):
            return
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and self.model().dropMimeData(
                event.mimeData(), Qt.DropAction.MoveAction, -1, -1, index):
            event.acceptProposedAction()
            return
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
