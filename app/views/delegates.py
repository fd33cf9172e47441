"""Item delegates: person/group cards, face tiles and photo thumbnails (all fixed size)."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QCompleter, QLineEdit, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.itemmodels import roles
from app.theme import Colors
from app.views.widgets import NameEdit

Index = QModelIndex | QPersistentModelIndex


def _initials(name: str) -> str:
    parts = [p for p in name.split() if p[:1].isalnum()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


class _Rendered:
    """Pixmaps scaled (and clipped) once to the exact size they are drawn at: a plain blit
    per paint instead of a smooth scale through a clip path (10x cheaper while scrolling)."""

    LIMIT = 1500

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[int, int, int, int, float], QPixmap] = OrderedDict()

    def get(self, pixmap: QPixmap, size: QSize, ratio: float, shape: int) -> QPixmap:
        """``shape``: 0 fit (keep aspect), 1 circle, 2 rounded square."""
        key = (pixmap.cacheKey(), size.width(), size.height(), shape, ratio)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        if shape == 0:
            size = pixmap.size().scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
        out = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
        out.fill(Qt.GlobalColor.transparent)
        painter = QPainter(out)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        target = QRectF(0, 0, out.width(), out.height())
        if shape:
            path = QPainterPath()
            if shape == 1:
                path.addEllipse(target)
            else:
                path.addRoundedRect(target, 10 * ratio, 10 * ratio)
            painter.setClipPath(path)
        painter.drawPixmap(target.toRect(), pixmap)
        painter.end()
        out.setDevicePixelRatio(ratio)
        self._cache[key] = out
        while len(self._cache) > self.LIMIT:
            self._cache.popitem(last=False)
        return out


RENDERED = _Rendered()


def cell_size(option: QStyleOptionViewItem, default: QSize) -> QSize:
    """The view's grid cell (the views widen cells to fill each row), else ``default``."""
    view = option.widget
    grid = view.gridSize() if hasattr(view, "gridSize") else QSize()
    return grid if grid.isValid() and not grid.isEmpty() else default


def draw_cover(painter: QPainter, rect: QRect, pixmap: QPixmap | None, colors: Colors,
               circle: bool, label: str = "") -> None:
    """A face crop clipped to a circle or a rounded square; initials while it loads."""
    if pixmap is not None and not pixmap.isNull():
        ratio = painter.device().devicePixelRatioF()
        painter.drawPixmap(rect.topLeft(), RENDERED.get(pixmap, rect.size(), ratio, 1 if circle else 2))
        return
    path = QPainterPath()
    if circle:
        path.addEllipse(QRectF(rect))
    else:
        path.addRoundedRect(QRectF(rect), 10, 10)
    painter.save()
    painter.setClipPath(path)
    painter.fillRect(rect, QColor(colors.alt))
    if label:
        font = QFont(painter.font())
        font.setPointSizeF(max(9.0, rect.height() / 4.2))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor(colors.muted))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
    painter.restore()


def fit_name(font: QFont, name: str, width: int, smallest: float = 0.8) -> tuple[QFont, str]:
    """The font (down to ``smallest`` of its size) and text to show ``name`` in ``width`` pixels: a
    long name ("Gloria Macapagal Arroyo") gets a smaller font before it loses its end to "…"."""
    fitted, low = QFont(font), font.pointSizeF() * smallest
    while QFontMetrics(fitted).horizontalAdvance(name) > width and fitted.pointSizeF() > low:
        fitted.setPointSizeF(max(low, fitted.pointSizeF() * 0.95))
    return fitted, QFontMetrics(fitted).elidedText(name, Qt.TextElideMode.ElideRight, width)


class CardDelegate(QStyledItemDelegate):
    """A person or group: round face, name (or "Unnamed"), face count."""

    editorOpened = Signal(QWidget)  # a name editor opened; it is destroyed when editing ends

    WIDTH, HEIGHT, FACE = 168, 206, 128

    def __init__(self, colors: Colors, names: QCompleter | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors
        self.completer = names
        self.drop_row = -1  # card under a dragged card (merge target), drawn highlighted
        self._cards: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return cell_size(option, QSize(self.WIDTH, self.HEIGHT))

    def _card(self, option: QStyleOptionViewItem) -> QRect:
        return option.rect.adjusted(6, 6, -6, -6)

    def _name_rect(self, option: QStyleOptionViewItem) -> QRect:
        card = self._card(option)
        return QRect(card.left() + 8, card.top() + 16 + self.FACE + 8, card.width() - 16, 24)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """Blit the card from a cache: scrolling repaints every visible card on each step,
        and one drawPixmap is far cheaper than drawing shapes and text again."""
        name = str(roles.get(index, Qt.ItemDataRole.EditRole) or "")
        pixmap = roles.get(index, roles.PIXMAP)
        hidden = bool(roles.get(index, roles.HIDDEN))
        subtitle = str(roles.get(index, roles.SUBTITLE) or "") + (" · hidden" if hidden else "")
        state = (bool(option.state & QStyle.StateFlag.State_Selected),
                 bool(option.state & QStyle.StateFlag.State_MouseOver), index.row() == self.drop_row)
        ratio = painter.device().devicePixelRatioF()
        size = option.rect.size()
        cover_key = pixmap.cacheKey() if isinstance(pixmap, QPixmap) and not pixmap.isNull() else 0
        key = (name, subtitle, hidden, state, cover_key, size.width(), size.height(), ratio, self.colors.dark,
               option.font.key())
        card = self._cards.get(key)
        if card is None:
            card = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
            card.setDevicePixelRatio(ratio)
            card.fill(Qt.GlobalColor.transparent)
            local = QStyleOptionViewItem(option)
            local.rect = QRect(QPoint(0, 0), size)
            card_painter = QPainter(card)
            self._draw(card_painter, local, name, subtitle, hidden, state, pixmap)
            card_painter.end()
            self._cards[key] = card
            while len(self._cards) > 400:
                self._cards.popitem(last=False)
        else:
            self._cards.move_to_end(key)
        painter.drawPixmap(option.rect.topLeft(), card)

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem, name: str, subtitle: str, hidden: bool,
              state: tuple[bool, bool, bool], pixmap: QPixmap | None) -> None:
        c = self.colors
        selected, hover, target = state
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self._card(option)
        fill = QColor(c.accent if selected or target else (c.card_hover if hover else c.card))
        if selected:
            fill.setAlpha(40 if c.dark else 28)
        if target:  # a card dragged over this one merges into it on drop: show it plainly
            fill.setAlpha(90 if c.dark else 70)
        painter.setPen(QPen(QColor(c.accent if selected or target else c.border), 3 if target else 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(card).adjusted(0.5, 0.5, -0.5, -0.5), 12, 12)
        face = QRect(card.center().x() - self.FACE // 2, card.top() + 16, self.FACE, self.FACE)
        draw_cover(painter, face, pixmap, c, circle=True, label=_initials(name) if name else "")
        if hidden:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 110))
            painter.drawEllipse(QRectF(face))
        font = QFont(option.font)
        font.setPointSizeF(option.font.pointSizeF() * 1.05)
        font.setWeight(QFont.Weight.DemiBold if name else QFont.Weight.Normal)
        font.setItalic(not name)
        rect = self._name_rect(option)
        font, text = fit_name(font, name or "Unnamed", rect.width())
        painter.setFont(font)
        painter.setPen(QColor(c.text if name else c.muted))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.92)
        painter.setFont(small)
        painter.setPen(QColor(c.muted))
        painter.drawText(rect.translated(0, 22), Qt.AlignmentFlag.AlignCenter, subtitle)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = NameEdit(parent)
        editor.submitted.connect(lambda: self._submit(editor))
        self.editorOpened.emit(editor)
        editor.setPlaceholderText("Add a name")
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        editor.setAccessibleName("Name")
        if self.completer is not None:
            editor.setCompleter(self.completer)
        return editor

    def _submit(self, editor: QWidget) -> None:
        """One Return in the name editor, also with the completer's list open: store and close."""
        self.commitData.emit(editor)
        self.closeEditor.emit(editor)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        editor.setGeometry(self._name_rect(option).adjusted(-2, -3, 2, 3))

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        if editor.isModified():  # the user is typing: a reload of the row must not put the stored name back
            return
        editor.setText(str(roles.get(index, Qt.ItemDataRole.EditRole) or ""))
        editor.selectAll()

    def setModelData(self, editor: QWidget, model: object, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        index.model().setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class FaceDelegate(QStyledItemDelegate):
    """A face crop tile; automatically recognised faces carry a small dot."""

    SIZE = 124

    def __init__(self, colors: Colors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return cell_size(option, QSize(self.SIZE + 12, self.SIZE + 12))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        c = self.colors
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(6, 6, -6, -6)
        draw_cover(painter, rect, roles.get(index, roles.PIXMAP), c, circle=False)
        if roles.get(index, roles.SUBTITLE):
            painter.setPen(QPen(QColor("#ffffff"), 1.5))
            painter.setBrush(QColor(c.accent))
            painter.drawEllipse(QRectF(rect.right() - 18, rect.top() + 6, 12, 12))
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor(c.accent), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5), 10, 10)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.accent))
            badge = QRectF(rect.left() + 6, rect.top() + 6, 18, 18)
            painter.drawEllipse(badge)
            painter.setPen(QPen(QColor("#ffffff"), 2))
            x, y = badge.left(), badge.top()
            painter.drawPolyline([QPointF(x + 4.5, y + 9.5), QPointF(x + 8, y + 13), QPointF(x + 13.5, y + 5.5)])
        elif option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(option.palette.color(QPalette.ColorRole.Highlight), 1.5,
                                Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(rect), 10, 10)
        painter.restore()


class PhotoDelegate(QStyledItemDelegate):
    """A photo thumbnail fitted into a square cell."""

    SIZE = 176

    def __init__(self, colors: Colors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return cell_size(option, QSize(self.SIZE, self.SIZE))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        c = self.colors
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        cell = option.rect.adjusted(3, 3, -3, -3)
        pixmap = roles.get(index, roles.PIXMAP)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            fitted = RENDERED.get(pixmap, cell.size(), painter.device().devicePixelRatioF(), 0)
            target = QRect(QPoint(0, 0), fitted.deviceIndependentSize().toSize())
            target.moveCenter(cell.center())
            painter.drawPixmap(target.topLeft(), fitted)
            frame = target
        else:
            painter.fillRect(cell, QColor(c.alt))
            frame = cell
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor(c.accent), 3))
            painter.drawRect(frame.adjusted(1, 1, -2, -2))
        elif option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(QColor(c.accent), 1.5, Qt.PenStyle.DotLine))
            painter.drawRect(frame.adjusted(0, 0, -1, -1))
        painter.restore()
