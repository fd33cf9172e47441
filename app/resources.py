"""Files shipped with the app (icons, styles, the self-test photo), found both in a source
checkout and inside a PyInstaller bundle (``sys._MEIPASS``)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap


def resource_dir() -> Path:
    """``resources/`` beside the package, or inside the frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def resource(*parts: str) -> Path:
    """The path of one shipped file."""
    return resource_dir().joinpath(*parts)


@cache
def _svg(name: str) -> str:
    return resource("icons", f"{name}.svg").read_text(encoding="utf-8")


def svg_pixmap(name: str, color: str, size: int, ratio: float = 1.0) -> QPixmap:
    """The icon ``name`` drawn in ``color`` at ``size`` logical pixels."""
    from PySide6.QtSvg import QSvgRenderer

    data = _svg(name).replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(data.encode()))
    px = max(1, round(size * ratio))
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def icon(name: str, color: QColor | str, disabled: QColor | str | None = None,
         selected: QColor | str | None = None) -> QIcon:
    """A crisp QIcon (16-48 px, 1x and 2x) of a shipped SVG: ``color`` normally, ``disabled``
    when disabled, ``selected`` on a selected (highlighted) row. Made once per name and colours
    (24 SVG renderings: the Folders page asked for one on the UI thread at every import's start)."""
    names = (QColor(v).name() if v is not None else None for v in (color, disabled, selected))
    return _icon(name, *names)


@cache
def _icon(name: str, color: str, disabled: str | None, selected: str | None) -> QIcon:
    result = QIcon()
    modes = [(QIcon.Mode.Normal, color), (QIcon.Mode.Disabled, disabled), (QIcon.Mode.Selected, selected)]
    for mode, value in modes:
        if value is None:
            continue
        for size in (16, 20, 24, 32):
            for ratio in (1.0, 2.0):
                result.addPixmap(svg_pixmap(name, value, size, ratio), mode)
    return result

