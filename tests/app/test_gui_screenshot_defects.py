"""Defects seen in the screenshots taken under Xvfb (scripts/make_screenshots.py), each test failing
before its fix: disabled buttons that looked enabled, a person's name cut to "Gloria Macapagal…",
a narrow folder grid of one huge column, and a viewer whose Next arrow did not match its Previous."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, QStringListModel
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QPushButton, QWidget

from app.views.delegates import CardDelegate
from app.views.timeline import TimelineView


def _image(widget: QWidget) -> QImage:
    return widget.grab().toImage()


def test_a_disabled_button_looks_disabled(qtbot: Any, make_window: Any) -> None:
    """The style sheet gave every QPushButton the text colour, so the Train dialog's disabled Cancel
    and "Use this model" looked like the enabled Start."""
    window = make_window()  # the app's style sheet applies
    holder = QWidget(window)
    on, off = QPushButton("Cancel", holder), QPushButton("Cancel", holder)
    off.move(0, 40)
    off.setEnabled(False)
    holder.show()
    qtbot.waitExposed(holder)
    assert on.size() == off.size()
    assert _image(on) != _image(off)


def test_a_long_name_fits_its_card_before_it_is_cut() -> None:
    from app.views.delegates import fit_name

    card_text_width = CardDelegate.WIDTH - 12 - 16  # the narrowest card's name rectangle
    font = QFont()
    font.setPointSizeF(font.pointSizeF() * 1.05)
    font.setWeight(QFont.Weight.DemiBold)
    fitted, text = fit_name(font, "Gloria Macapagal Arroyo", card_text_width)
    assert text == "Gloria Macapagal Arroyo"
    assert fitted.pointSizeF() >= font.pointSizeF() * 0.8
    assert fit_name(font, "Ann", card_text_width) == (font, "Ann")  # short names keep the font
    _, cut = fit_name(font, "Maria Fernanda Alexandra de los Santos Rodriguez", card_text_width)
    assert cut.endswith("…")


def test_a_narrow_photo_grid_has_two_columns_not_one_huge(qtbot: Any) -> None:
    view = TimelineView("photosView")
    qtbot.addWidget(view)
    view.setModel(QStringListModel([str(i) for i in range(12)]))
    view.set_cell(QSize(176, 176))
    view.resize(300, 500)  # the Folders page's grid at 800 x 600
    view.show()
    qtbot.waitExposed(view)
    assert view.columns() == 2
    assert 120 <= view.gridSize().width() <= 176
    view.resize(1060, 700)  # All Photos at 1280 x 800: cells near 176 px
    qtbot.waitUntil(lambda: view.columns() == 6)
    assert abs(view.gridSize().width() - 176) < 20


def test_the_viewers_next_arrow_mirrors_its_previous_arrow(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    page = window.pages["viewer"]
    size = QSize(24, 24)
    previous = page.prev_button.icon().pixmap(size).toImage()
    following = page.next_button.icon().pixmap(size).toImage()
    assert following == previous.mirrored(True, False)
