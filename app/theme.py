"""Light and dark themes: a Fusion palette plus a small style sheet, following the
system's colour scheme (QStyleHints.colorScheme, Qt 6.5+) and its changes."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app import resources


@dataclass(frozen=True)
class Colors:
    dark: bool
    window: str
    base: str
    alt: str
    sidebar: str
    card: str
    card_hover: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    danger: str
    box: str  # face boxes in the viewer


LIGHT = Colors(False, window="#f5f5f7", base="#ffffff", alt="#f0f0f3", sidebar="#ebebef",
               card="#ffffff", card_hover="#f2f4f8", text="#1d1d1f", muted="#6e6e73", border="#d8d8de",
               accent="#0a6cff", accent_text="#ffffff", danger="#d70015", box="#ffd60a")
DARK = Colors(True, window="#1c1c1e", base="#232326", alt="#2a2a2e", sidebar="#161618",
              card="#2a2a2e", card_hover="#323238", text="#f2f2f7", muted="#9a9aa2", border="#3a3a40",
              accent="#3d8bff", accent_text="#ffffff", danger="#ff453a", box="#ffd60a")


def system_is_dark() -> bool:
    """Whether the platform asks for a dark appearance."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return window.lightness() < 128


def palette_for(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in ((role.Window, c.window), (role.WindowText, c.text), (role.Base, c.base),
                     (role.AlternateBase, c.alt), (role.Text, c.text), (role.Button, c.alt),
                     (role.ButtonText, c.text), (role.Highlight, c.accent),
                     (role.HighlightedText, c.accent_text), (role.ToolTipBase, c.base),
                     (role.ToolTipText, c.text), (role.PlaceholderText, c.muted), (role.Link, c.accent),
                     (role.Mid, c.border), (role.Midlight, c.alt), (role.Light, c.card),
                     (role.Dark, c.border), (role.Shadow, "#000000")):
        p.setColor(r, QColor(value))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.muted))
    return p


def style_sheet(c: Colors) -> str:
    template = resources.resource("styles", "app.qss").read_text(encoding="utf-8")
    template = template.replace("@icons", resources.resource("icons").as_posix())
    for key, value in sorted(vars(c).items(), key=lambda kv: -len(kv[0])):  # @card_hover before @card
        if isinstance(value, str):
            template = template.replace(f"@{key}", value)
    return template


class Theme(QObject):
    """Applies the palette and style sheet; re-applies when the system scheme changes."""

    changed = Signal()

    def __init__(self, app: QApplication, force: str | None = None) -> None:
        """``force``: "light" or "dark"; None follows the system (``FACEORG_THEME`` overrides)."""
        super().__init__(app)
        self.app = app
        self.force = force or os.environ.get("FACEORG_THEME") or None
        self.colors = LIGHT
        app.setStyle("Fusion")
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.apply())
        self.apply()

    def apply(self) -> None:
        dark = self.force == "dark" or (self.force is None and system_is_dark())
        self.colors = DARK if dark else LIGHT
        self.app.setPalette(palette_for(self.colors))
        self.app.setStyleSheet(style_sheet(self.colors))
        self.changed.emit()

    def icon(self, name: str) -> QIcon:
        """A shipped icon in the theme's text colour."""
        return resources.icon(name, self.colors.text, self.colors.muted, self.colors.accent_text)

    def accent_icon(self, name: str) -> QIcon:
        return resources.icon(name, self.colors.accent, self.colors.muted)
