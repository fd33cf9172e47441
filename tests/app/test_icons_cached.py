"""Issue 14 (UI stalls at an import's start): every import's start refilled the Folders page,
which asked the theme for the folder icon, and each icon was 24 SVG renderings on the UI thread.
An icon is now made once per name and colours."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from app.resources import icon


def test_an_icon_is_made_once_per_name_and_colours(qapp: Any) -> None:
    first = icon("folder", "#202020", "#808080", "#ffffff")
    again = icon("folder", QColor("#202020"), QColor("#808080"), "#ffffff")
    assert again.cacheKey() == first.cacheKey()  # the same icon, not drawn again
    assert icon("folder", "#000000", "#808080", "#ffffff").cacheKey() != first.cacheKey()  # another colour
    assert icon("cancel", "#202020", "#808080", "#ffffff").cacheKey() != first.cacheKey()
    assert not first.pixmap(32).isNull()
