"""A photo grid by date: a full-width heading row per month ("June 2021"), then that month's photos
in square cells, like the photo apps people know.

The geometry is arithmetic on the model's sections (:class:`app.itemmodels.photos.Section`: where
each month starts and how many photos it has; see :mod:`app.views.timeline_layout`), so a grid of
100,000 photos costs one pass over its months to lay out, and painting, hit tests and scrolling
touch only the visible rows. No widget is made per photo or per heading; the item delegate draws
the photos."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QItemSelectionRange,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette, QRegion
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QWidget

from app.itemmodels.photos import Section
from app.views.timeline_layout import HEADING, LEFT, RIGHT, TimelineLayout, covering

Index = QModelIndex | QPersistentModelIndex
KEYS = {QAbstractItemView.CursorAction.MoveLeft: "left", QAbstractItemView.CursorAction.MovePrevious: "left",
        QAbstractItemView.CursorAction.MoveRight: "right", QAbstractItemView.CursorAction.MoveNext: "right",
        QAbstractItemView.CursorAction.MoveUp: "up", QAbstractItemView.CursorAction.MoveDown: "down",
        QAbstractItemView.CursorAction.MoveHome: "home", QAbstractItemView.CursorAction.MoveEnd: "end",
        QAbstractItemView.CursorAction.MovePageUp: "page", QAbstractItemView.CursorAction.MovePageDown: "page"}


class TimelineView(QAbstractItemView):
    """Photos in square cells under month headings (a model without ``sections`` is one untitled
    section). The delegate paints the cells; :meth:`heading_rect` says where a heading is."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        self._hint = QSize(176, 176)
        self.grid = TimelineLayout()  # before the base class: Qt calls the overrides below from it
        super().__init__(parent)
        self.setObjectName(name)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(40)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(30)
        self._repaint.timeout.connect(self.viewport().update)

    # -- what the pages and delegates ask -----------------------------------------------------------
    def set_cell(self, size: QSize, *, square: bool = True) -> None:
        """Cells of about ``size``, widened so that the columns fill the row (always square)."""
        self._hint = QSize(size)
        self._relayout()

    def gridSize(self) -> QSize:  # noqa: N802 - the name the delegates ask for (QListView's)
        return QSize(self.grid.cell, self.grid.cell)

    def schedule_repaint(self, *_args: object) -> None:
        """Coalesce "a thumbnail arrived" into one repaint every 30 ms."""
        if not self._repaint.isActive():
            self._repaint.start()

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedIndexes())

    def sections(self) -> list[Section]:
        return list(self.grid.sections)

    def columns(self) -> int:
        return self.grid.columns

    def heading_rect(self, section: int) -> QRect:
        """The heading row of ``section`` in viewport coordinates: the viewport's whole width (an
        empty rect for an untitled section)."""
        if not 0 <= section < len(self.grid.sections) or not self.grid.sections[section].title:
            return QRect()
        return QRect(0, self.grid.tops[section] - self.verticalOffset(), self.viewport().width(), HEADING)

    # -- layout ---------------------------------------------------------------------------------------
    def _relayout(self, *_args: object) -> None:
        model = self.model()
        rows = model.rowCount(self.rootIndex()) if model is not None else 0
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self.verticalScrollBar())
        width = self.maximumViewportSize().width() - bar  # the same columns with or without the scroll bar
        self.grid.build(covering(list(getattr(model, "sections", None) or []), rows), width, self._hint.width())
        self.updateGeometries()
        self.viewport().update()

    def updateGeometries(self) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setRange(0, max(0, self.grid.height - page))
        bar.setPageStep(page)
        super().updateGeometries()

    def _index(self, row: int) -> QModelIndex:
        model = self.model()
        return model.index(row, 0, self.rootIndex()) if row >= 0 and model is not None else QModelIndex()

    # -- QAbstractItemView ------------------------------------------------------------------------------
    def setModel(self, model: object) -> None:
        old = self.model()
        if old is not None:
            for signal in (old.rowsRemoved, old.rowsInserted, old.layoutChanged, old.modelReset):
                signal.disconnect(self._relayout)
            if hasattr(old, "sectionsChanged"):
                old.sectionsChanged.disconnect(self._relayout)
        super().setModel(model)  # type: ignore[arg-type]
        new = self.model()
        if new is not None:
            for signal in (new.rowsRemoved, new.rowsInserted, new.layoutChanged, new.modelReset):
                signal.connect(self._relayout)
            if hasattr(new, "sectionsChanged"):
                new.sectionsChanged.connect(self._relayout)
        self._relayout()

    def visualRect(self, index: Index) -> QRect:
        if not index.isValid() or index.row() >= self.grid.rows():
            return QRect()
        x, y = self.grid.cell_at(index.row())
        return QRect(x, y - self.verticalOffset(), self.grid.cell, self.grid.cell)

    def indexAt(self, point: QPoint) -> QModelIndex:
        return self._index(self.grid.row_under(point.x(), point.y() + self.verticalOffset()))

    def scrollTo(self, index: Index, hint: QAbstractItemView.ScrollHint =
                 QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        rect = self.visualRect(index)
        if rect.isEmpty():
            return
        s, line, _col = self.grid.locate(index.row())
        if line == 0:  # the month's first row: show its heading with it
            rect.setTop(rect.top() - self.grid.heading_height(s))
        bar, page = self.verticalScrollBar(), self.viewport().height()
        Hint = QAbstractItemView.ScrollHint
        if hint == Hint.PositionAtTop:
            bar.setValue(bar.value() + rect.top())
        elif hint == Hint.PositionAtBottom:
            bar.setValue(bar.value() + rect.bottom() - page)
        elif hint == Hint.PositionAtCenter:
            bar.setValue(bar.value() + rect.center().y() - page // 2)
        elif rect.top() < 0:
            bar.setValue(bar.value() + rect.top())
        elif rect.bottom() > page:
            bar.setValue(bar.value() + min(rect.top(), rect.bottom() - page))

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        if not self.grid.sections:
            return QModelIndex()
        current = self.currentIndex()
        if not current.isValid():
            return self._index(0)
        key = KEYS.get(action)
        if key is None:
            return current
        page = self.viewport().height() * (-1 if action == QAbstractItemView.CursorAction.MovePageUp else 1)
        return self._index(self.grid.move(current.row(), key, page))

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: Index) -> bool:
        return False

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        """The photos from the cell at the rectangle's first corner to the one at its second, in
        date order: Qt passes (press or anchor, current point), so a drag or a Shift+click selects
        a run of days, as in the photo apps. A click on a heading or a margin selects nothing."""
        offset = self.verticalOffset()
        a = (rect.left(), rect.top() + offset)
        b = (rect.right(), rect.bottom() + offset)
        ra, rb = self.grid.row_under(*a), self.grid.row_under(*b)
        if a != b:  # a drag or a range: its ends may lie between cells
            ra = ra if ra >= 0 else self.grid.row_near(*a)
            rb = rb if rb >= 0 else self.grid.row_near(*b)
        selection = QItemSelection()
        if ra >= 0 and rb >= 0:
            selection.select(self._index(min(ra, rb)), self._index(max(ra, rb)))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        first, last = self.grid.visible_rows(self.verticalOffset(), self.viewport().height())
        for r in cast(Iterable[QItemSelectionRange], selection):
            for row in range(max(first, r.top()), min(last, r.bottom()) + 1):
                region += self.visualRect(self._index(row))
        return region

    # -- events ------------------------------------------------------------------------------------------
    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._relayout()

    def reset(self) -> None:
        super().reset()
        self._relayout()

    def paintEvent(self, event: QPaintEvent) -> None:
        # ended here, not when Python frees it: anything holding this frame (a traceback, a
        # profiler) would otherwise keep the painter active past the paint event
        painter = QPainter(self.viewport())
        try:
            self._paint(painter, event)
        finally:
            painter.end()

    def _paint(self, painter: QPainter, event: QPaintEvent) -> None:
        delegate, grid = self.itemDelegate(), self.grid
        if delegate is None or not grid.sections:
            return
        area = event.rect()
        offset = self.verticalOffset()
        top, bottom = area.top() + offset, area.bottom() + offset
        selection, current, focus = self.selectionModel(), self.currentIndex(), self.hasFocus()
        base = QStyleOptionViewItem()
        self.initViewItemOption(base)
        s = grid.section_at(top)
        while s < len(grid.sections) and grid.tops[s] <= bottom:
            if grid.sections[s].title and grid.tops[s] + HEADING >= top:
                self._paint_heading(painter, s)
            body = grid.body_top(s)
            last = min(grid.lines(s) - 1, (bottom - body) // grid.cell)
            for line in range(max(0, (top - body) // grid.cell), last + 1):
                for col in range(grid.columns):
                    k = line * grid.columns + col
                    if k >= grid.sections[s].count:
                        break
                    index = self._index(grid.firsts[s] + k)
                    option = QStyleOptionViewItem(base)
                    option.rect = QRect(LEFT + col * grid.cell, body + line * grid.cell - offset, grid.cell, grid.cell)
                    if selection is not None and selection.isSelected(index):
                        option.state |= QStyle.StateFlag.State_Selected
                    if focus and index == current:
                        option.state |= QStyle.StateFlag.State_HasFocus
                    delegate.paint(painter, option, index)
            s += 1

    def _paint_heading(self, painter: QPainter, s: int) -> None:
        """The month, and on the right how many photos it has."""
        text_rect = self.heading_rect(s).adjusted(LEFT + 4, 12, -RIGHT, -4)
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        section = self.grid.sections[s]
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, section.title)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        label = f"{section.count:,} photo{'s' if section.count != 1 else ''}"
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
