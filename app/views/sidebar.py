"""The sidebar: People, Groups, Review, Unknown Faces, All Photos, Folders, each with a count."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.theme import Theme

PAGES = (("people", "People", "people"), ("groups", "Groups", "groups"), ("review", "Review", "review"),
         ("unknown", "Unknown Faces", "face-add"), ("photos", "All Photos", "photos"), ("folders", "Folders", "folder"))
COUNT_ROLE = int(Qt.ItemDataRole.UserRole) + 50
Index = QModelIndex | QPersistentModelIndex


class _Delegate(QStyledItemDelegate):
    """Draws the default item, then the count right-aligned."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 34))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        super().paint(painter, option, index)
        count = index.data(COUNT_ROLE)
        if not count:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        c = self.theme.colors
        painter.setPen(QColor(c.accent_text if selected else c.muted))
        font = QFont(option.font)
        font.setPointSizeF(option.font.pointSizeF() * 0.9)
        painter.setFont(font)
        rect = QRect(option.rect).adjusted(0, 0, -12, 0)
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{count:,}")
        painter.restore()


class Sidebar(QWidget):
    """Navigation between the main pages."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebarPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.theme = theme
        self.list = QListWidget()
        self.list.setObjectName("sidebar")
        self.list.setAccessibleName("Sections")
        self.list.setIconSize(QSize(20, 20))
        self.list.setItemDelegate(_Delegate(theme, self.list))
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for key, text, icon in PAGES:
            item = QListWidgetItem(theme.icon(icon), text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setData(COUNT_ROLE, 0)  # never empty: see app.itemmodels.roles.get
            item.setToolTip(f"{text} (Ctrl+{len(self.keys()) + 1})")
            self.list.addItem(item)
        title = QLabel("LIBRARY")
        title.setObjectName("sidebarTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        self.setFixedWidth(212)
        theme.changed.connect(self._retheme)

    def keys(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def select(self, key: str) -> None:
        keys = self.keys()
        if key in keys:
            self.list.setCurrentRow(keys.index(key))

    def current(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def set_count(self, key: str, count: int) -> None:
        keys = self.keys()
        if key in keys:
            self.list.item(keys.index(key)).setData(COUNT_ROLE, count)

    def _retheme(self) -> None:
        for i, (_key, _text, icon) in enumerate(PAGES):
            self.list.item(i).setIcon(self.theme.icon(icon))
