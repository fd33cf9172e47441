"""A photo grid by date: a full-width heading row per month ("June 2021"), then that month's photos
in square cells, like the photo apps people know.

The geometry is arithmetic on the model's sections (:class:`app.itemmodels.photos.Section`: where
each month starts and how many photos it has), so a grid of 100,000 photos costs one pass over its
months to lay out, and painting, hit tests and scrolling touch only the visible rows. No widget is
made per photo or per heading; the photos are drawn by the item delegate."""

from __future__ import annotations

import bisect
import math
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
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QRegion
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QWidget

from app.itemmodels.photos import Section

LEFT, RIGHT, TOP, BOTTOM = 14, 8, 4, 16  # insets of the grid in the viewport
HEADING = 44  # height of a month's heading row
GAP = 6  # below a month's last row
Index = QModelIndex | QPersistentModelIndex


class TimelineView(QAbstractItemView):
    """Photos in square cells under month headings (a model without ``sections`` is one untitled
    section). The delegate paints the cells; :meth:`heading_rect` says where a heading is."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        self._hint = QSize(176, 176)
        self._cell = 176
        self._columns = 1
        self._sections: list[Section] = []
        self._firsts: list[int] = []  # each section's first row
        self._tops: list[int] = []  # each section's top (its heading), in content pixels
        self._height = 0
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
        return QSize(self._cell, self._cell)

    def schedule_repaint(self, *_args: object) -> None:
        """Coalesce "a thumbnail arrived" into one repaint every 30 ms."""
        if not self._repaint.isActive():
            self._repaint.start()

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedIndexes())

    def sections(self) -> list[Section]:
        return list(self._sections)

    def columns(self) -> int:
        return self._columns

    def heading_rect(self, section: int) -> QRect:
        """The heading row of ``section`` in viewport coordinates: the viewport's whole width (an
        empty rect for an untitled section)."""
        if not 0 <= section < len(self._sections) or not self._sections[section].title:
            return QRect()
        return QRect(0, self._tops[section] - self.verticalOffset(), self.viewport().width(), HEADING)

    # -- layout ---------------------------------------------------------------------------------------
    def _heading_height(self, section: int) -> int:
        return HEADING if self._sections[section].title else 0

    def _model_sections(self) -> list[Section]:
        """The model's sections, made to cover exactly its rows (a model reporting new rows
        before its months arrive gets them in an untitled section at the end)."""
        model = self.model()
        rows = model.rowCount(self.rootIndex()) if model is not None else 0
        out: list[Section] = []
        for s in list(getattr(model, "sections", None) or []):
            if s.first >= rows:
                break
            out.append(Section(s.title, s.first, min(s.count, rows - s.first)))
        covered = out[-1].first + out[-1].count if out else 0
        if covered < rows:
            out.append(Section("", covered, rows - covered))
        return [s for s in out if s.count > 0]

    def _relayout(self, *_args: object) -> None:
        self._sections = self._model_sections()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self.verticalScrollBar())
        width = self.maximumViewportSize().width() - bar - LEFT - RIGHT  # the same columns with or without the bar
        self._columns = max(1, width // max(1, self._hint.width()))
        self._cell = max(self._hint.width(), width // self._columns)
        self._firsts, self._tops, y = [], [], TOP
        for i, s in enumerate(self._sections):
            self._firsts.append(s.first)
            self._tops.append(y)
            y += self._heading_height(i) + math.ceil(s.count / self._columns) * self._cell + GAP
        self._height = y + BOTTOM
        self.updateGeometries()
        self.viewport().update()

    def updateGeometries(self) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setRange(0, max(0, self._height - page))
        bar.setPageStep(page)
        super().updateGeometries()

    def _locate(self, row: int) -> tuple[int, int, int]:
        """(section, line, column) of ``row``."""
        s = bisect.bisect_right(self._firsts, row) - 1
        line, col = divmod(row - self._firsts[s], self._columns)
        return s, line, col

    def _cell_top(self, s: int, line: int) -> int:
        """The top of ``line`` of section ``s``, in content pixels."""
        return self._tops[s] + self._heading_height(s) + line * self._cell

    def _row_at(self, s: int, line: int, col: int) -> int:
        """The row at (line, col) of section ``s``, clamped into the section."""
        section = self._sections[s]
        k = max(0, min(line * self._columns + col, section.count - 1))
        return section.first + k

    def _lines(self, s: int) -> int:
        return math.ceil(self._sections[s].count / self._columns)

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
        if not index.isValid() or not self._sections or index.row() >= self._firsts[-1] + self._sections[-1].count:
            return QRect()
        s, line, col = self._locate(index.row())
        return QRect(LEFT + col * self._cell, self._cell_top(s, line) - self.verticalOffset(), self._cell, self._cell)

    def indexAt(self, point: QPoint) -> QModelIndex:
        row = self._row_under(point.x(), point.y() + self.verticalOffset())
        model = self.model()
        return model.index(row, 0, self.rootIndex()) if row >= 0 and model is not None else QModelIndex()

    def _row_under(self, x: int, y: int) -> int:
        """The row whose cell holds the content point (x, y), or -1 (a heading, a margin)."""
        s = bisect.bisect_right(self._tops, y) - 1
        if s < 0 or x < LEFT:
            return -1
        local = y - self._tops[s] - self._heading_height(s)
        col = (x - LEFT) // self._cell
        if local < 0 or col >= self._columns:
            return -1
        line = local // self._cell
        k = line * self._columns + col
        return self._firsts[s] + k if line < self._lines(s) and k < self._sections[s].count else -1

    def scrollTo(self, index: Index, hint: QAbstractItemView.ScrollHint =
                 QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        rect = self.visualRect(index)
        if rect.isEmpty():
            return
        s, line, _col = self._locate(index.row())
        if line == 0:  # the month's first row: show its heading with it
            rect.setTop(rect.top() - self._heading_height(s))
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
        model = self.model()
        if model is None or not self._sections:
            return QModelIndex()
        rows = self._firsts[-1] + self._sections[-1].count
        current = self.currentIndex()
        if not current.isValid():
            return model.index(0, 0, self.rootIndex())
        row = current.row()
        s, line, col = self._locate(row)
        Move = QAbstractItemView.CursorAction
        if action in (Move.MoveLeft, Move.MovePrevious):
            row -= 1
        elif action in (Move.MoveRight, Move.MoveNext):
            row += 1
        elif action == Move.MoveHome:
            row = 0
        elif action == Move.MoveEnd:
            row = rows - 1
        elif action == Move.MoveUp:
            if line > 0:
                row -= self._columns
            elif s > 0:
                row = self._row_at(s - 1, self._lines(s - 1) - 1, col)
        elif action == Move.MoveDown:
            if line + 1 < self._lines(s):
                row = self._row_at(s, line + 1, col)
            elif s + 1 < len(self._sections):
                row = self._row_at(s + 1, 0, col)
        elif action in (Move.MovePageUp, Move.MovePageDown):
            page = self.viewport().height() * (1 if action == Move.MovePageDown else -1)
            y = min(max(0, self._cell_top(s, line) + self._cell // 2 + page), self._height - 1)
            found = self._row_near(LEFT + col * self._cell + self._cell // 2, y)
            row = found if found >= 0 else row
        return model.index(max(0, min(rows - 1, row)), 0, self.rootIndex())

    def _row_near(self, x: int, y: int) -> int:
        """The row under the content point, or the nearest one in the same section (for paging)."""
        row = self._row_under(x, y)
        if row >= 0:
            return row
        s = max(0, bisect.bisect_right(self._tops, y) - 1)
        local = y - self._tops[s] - self._heading_height(s)
        line = max(0, min(self._lines(s) - 1, local // self._cell))
        return self._row_at(s, line, min(self._columns - 1, max(0, (x - LEFT) // self._cell)))

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
        model = self.model()
        offset = self.verticalOffset()
        a = (rect.left(), rect.top() + offset)
        b = (rect.right(), rect.bottom() + offset)
        ra, rb = self._row_under(*a), self._row_under(*b)
        if a != b and self._sections:  # a drag or a range: its ends may lie between cells
            ra = ra if ra >= 0 else self._row_near(*a)
            rb = rb if rb >= 0 else self._row_near(*b)
        selection = QItemSelection()
        if ra >= 0 and rb >= 0 and model is not None:
            selection.select(model.index(min(ra, rb), 0, self.rootIndex()),
                             model.index(max(ra, rb), 0, self.rootIndex()))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        first, last = self._visible_rows()
        for r in cast(Iterable[QItemSelectionRange], selection):
            for row in range(max(first, r.top()), min(last, r.bottom()) + 1):
                region += self.visualRect(self.model().index(row, 0, self.rootIndex()))
        return region

    def _visible_rows(self) -> tuple[int, int]:
        """The first and last row drawn in the viewport (their lines at least partly shown)."""
        if not self._sections:
            return 0, -1
        top = self.verticalOffset()
        first = self._row_near(LEFT, top)
        last = self._row_near(LEFT + (self._columns - 1) * self._cell, top + self.viewport().height())
        s, line, _col = self._locate(last)
        return first, self._row_at(s, line, self._columns - 1)

    # -- events ------------------------------------------------------------------------------------------
    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._relayout()

    def reset(self) -> None:
        super().reset()
        self._relayout()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        model, delegate = self.model(), self.itemDelegate()
        if model is None or delegate is None or not self._sections:
            return
        area = event.rect()
        offset = self.verticalOffset()
        top, bottom = area.top() + offset, area.bottom() + offset
        selection, current = self.selectionModel(), self.currentIndex()
        base = QStyleOptionViewItem()
        self.initViewItemOption(base)
        focus = self.hasFocus()
        s = max(0, bisect.bisect_right(self._tops, top) - 1)
        while s < len(self._sections) and self._tops[s] <= bottom:
            if self._sections[s].title and self._tops[s] + HEADING >= top:
                self._paint_heading(painter, s)
            body = self._tops[s] + self._heading_height(s)
            l0 = max(0, (top - body) // self._cell)
            l1 = min(self._lines(s) - 1, (bottom - body) // self._cell)
            for line in range(l0, l1 + 1):
                for col in range(self._columns):
                    k = line * self._columns + col
                    if k >= self._sections[s].count:
                        break
                    index = model.index(self._firsts[s] + k, 0, self.rootIndex())
                    option = QStyleOptionViewItem(base)
                    option.rect = QRect(LEFT + col * self._cell, body + line * self._cell - offset,
                                        self._cell, self._cell)
                    if selection is not None and selection.isSelected(index):
                        option.state |= QStyle.StateFlag.State_Selected
                    if focus and index == current:
                        option.state |= QStyle.StateFlag.State_HasFocus
                    delegate.paint(painter, option, index)
            s += 1

    def _paint_heading(self, painter: QPainter, s: int) -> None:
        rect = self.heading_rect(s)
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        text_rect = rect.adjusted(LEFT + 4, 12, -RIGHT, -4)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._sections[s].title)
        count = self._sections[s].count
        small = QFont(self.font())
        painter.setFont(small)
        muted = QColor(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.setPen(muted)
        label = f"{count:,} photo{'s' if count != 1 else ''}"
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
