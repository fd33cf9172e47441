"""The page header: title, a subtitle whose extra parts give way, and a row of tools that moves to a
row of its own, then to icons only, as the window narrows (800 x 600 to 2560 x 1440)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QToolButton, QVBoxLayout, QWidget


class Subtitle(QLabel):
    """A page subtitle whose trailing " · " parts give way when the header is narrow: it asks
    the layout for no more than its first part and shows as many whole parts as fit (never a cut
    word or "…"). ``text()`` stays the whole text."""

    SEP = " · "

    def _parts(self) -> list[str]:
        return self.text().split(self.SEP)

    def shown_text(self) -> str:
        """The part of the text that fits the label's width now."""
        parts = self._parts()
        metrics = self.fontMetrics()
        room = self.contentsRect().width()
        while len(parts) > 1 and metrics.horizontalAdvance(self.SEP.join(parts)) > room:
            parts.pop()
        return self.SEP.join(parts)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        first = self.fontMetrics().horizontalAdvance(self._parts()[0]) + margins.left() + margins.right()
        return QSize(min(hint.width(), first + 1), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(),
                                  self.isEnabled(), self.shown_text(), self.foregroundRole())
        painter.end()


class PageHeader(QWidget):
    """Title, subtitle and a row of tools: on the title's row when the page is wide enough, on a
    row of their own below it when not, and as icons only (the text in the tooltip) when even that
    row is too narrow. So the layout holds from an 800 x 600 window to a 2560 x 1440 one."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 12, 14, 12)
        outer.setSpacing(8)
        self.row = QHBoxLayout()
        self.row.setSpacing(8)
        outer.addLayout(self.row)
        self.leading = QHBoxLayout()
        self.leading.setSpacing(4)
        self.row.addLayout(self.leading)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(title)
        self.title.setObjectName("pageTitle")
        self.subtitle = Subtitle("")
        self.subtitle.setObjectName("pageSubtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        self.row.addLayout(titles, 1)
        self.toolbar = QWidget()
        self.tools = QHBoxLayout(self.toolbar)
        self.tools.setContentsMargins(0, 0, 0, 0)
        self.tools.setSpacing(6)
        self.row.addWidget(self.toolbar)
        self.second = QHBoxLayout()  # the tools' own row, when the page is narrow
        self.second.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.second)
        self.mode = "wide"  # "wide" | "two rows" | "icons"

    def add(self, widget: QWidget) -> QWidget:
        self.tools.addWidget(widget)
        return widget

    @staticmethod
    def _widgets(layout: QLayout) -> list[QWidget]:
        items = (layout.itemAt(i) for i in range(layout.count()))
        return [w for item in items if item is not None and (w := item.widget()) is not None]

    @staticmethod
    def _needs(widget: QWidget) -> int:
        """The width the layout gives ``widget`` at least: its size hint, or more if its minimum
        (set in code) or its minimum size hint is larger."""
        return max(widget.minimumWidth(), widget.minimumSizeHint().width(), widget.sizeHint().width())

    def _tools_width(self, text: bool) -> int:
        total, shown = 0, 0
        for widget in self._widgets(self.tools):
            if widget.isHidden():
                continue
            shown += 1
            if isinstance(widget, QToolButton) and not widget.icon().isNull():
                style = widget.toolButtonStyle()
                widget.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text else
                                          Qt.ToolButtonStyle.ToolButtonIconOnly)
                total += widget.sizeHint().width()  # measured in the style asked about
                widget.setToolButtonStyle(style)
            else:
                total += self._needs(widget)
        return total + self.tools.spacing() * max(0, shown - 1)

    def _title_width(self) -> int:
        """What the titles need beside the tools: the title whole, the subtitle's first part (its
        other parts give way, see :class:`Subtitle`)."""
        lead = sum(self._needs(w) + self.leading.spacing() for w in self._widgets(self.leading) if not w.isHidden())
        return lead + max(self.title.sizeHint().width(), self.subtitle.minimumSizeHint().width())

    def arrange(self) -> None:
        """Put the tools where they fit (see the class doc)."""
        layout = self.layout()
        if layout is None:
            return
        margins = layout.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        if room <= 0:
            return
        full = self._tools_width(text=True)
        if self._title_width() + 24 + full <= room:
            mode = "wide"
        elif full <= room:
            mode = "two rows"
        else:
            mode = "icons"
        if mode == self.mode:
            return
        self.mode = mode
        if mode == "wide":
            self.second.removeWidget(self.toolbar)
            self.row.addWidget(self.toolbar)
        else:
            self.row.removeWidget(self.toolbar)
            self.second.insertWidget(0, self.toolbar)
            if self.second.count() == 1:
                self.second.addStretch(1)
        style = Qt.ToolButtonStyle.ToolButtonIconOnly if mode == "icons" else \
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for widget in self._widgets(self.tools):
            if isinstance(widget, QToolButton) and not widget.icon().isNull():
                widget.setToolButtonStyle(style)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.arrange()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.arrange()
