"""Capability: photos by date under full-width month headings (like the photo apps): on a person's
page (their photos, not only face crops) and in All Photos. A heading is a row of its own across the
whole grid; that month's photos follow it, before the next heading. A grid of 100,000 photos lays
out from its months alone, with no widget per photo."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, seed
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPoint, QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QWidget

from app.itemmodels.photos import Section
from app.views.timeline import TimelineView

DATES = [datetime(2021, 6, 3), datetime(2020, 1, 9), datetime(2021, 6, 20), datetime(2020, 1, 2), None]


def _check_grid(view: TimelineView, sections: list[Section]) -> None:
    """Each heading spans the viewport; each photo lies below its month's heading and above the next."""
    assert view.sections() == sections
    width = view.viewport().width()
    model = view.model()
    for i, s in enumerate(sections):
        heading = view.heading_rect(i)
        assert heading.left() == 0 and heading.width() == width, (s.title, heading, width)
        below = view.heading_rect(i + 1) if i + 1 < len(sections) else None
        for row in range(s.first, s.first + s.count):
            cell = view.visualRect(model.index(row, 0))
            assert cell.top() >= heading.bottom(), (s.title, row, cell, heading)
            assert below is None or cell.bottom() < below.top(), (s.title, row, cell, below)
            assert view.indexAt(cell.center()).row() == row
        assert not view.indexAt(heading.center()).isValid()  # a heading is no photo


def test_a_persons_photos_by_date_with_month_headings(qtbot: Any, make_window: Any, lib_path: Path,
                                                      factory: Any) -> None:
    def make(session: Any) -> int:
        from core.library.people import assign_faces

        faces = [factory.photo(session, 1, taken_at=when)[0] for when in DATES]
        factory.photo(session, 1, taken_at=datetime(2019, 5, 1))  # someone else's photo
        return assign_faces(session, faces, "Ada").id

    ada = seed(lib_path, make)
    window = make_window()
    window.open_owner("person", ada, "Ada")
    page = window.pages["detail"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 5, timeout=WAIT_MS)
    assert page.photos_toggle.isVisible()
    page.photos_toggle.click()
    model = page.photos
    qtbot.waitUntil(lambda: model.has_loaded and model.rowCount() == 5, timeout=WAIT_MS)
    assert page.photo_view.isVisible() and not page.view.isVisible()
    assert page.header.subtitle.text() == "5 photos, by date"
    taken = [model.photo(r).taken_at for r in range(5)]
    assert taken == [None, datetime(2020, 1, 2), datetime(2020, 1, 9), datetime(2021, 6, 3), datetime(2021, 6, 20)]
    assert [model.heading(r) for r in range(5)] == ["Date unknown", "January 2020", "", "June 2021", ""]
    _check_grid(page.photo_view, [Section("Date unknown", 0, 1), Section("January 2020", 1, 2),
                                  Section("June 2021", 3, 2)])
    page.photo_view.grab()  # paints the headings and the photos

    window.show_page("photos")
    photos = window.photos_model
    qtbot.waitUntil(lambda: photos.has_loaded and photos.rowCount() == 6, timeout=WAIT_MS)
    assert [photos.heading(r) for r in range(6)] == ["Date unknown", "May 2019", "January 2020", "",
                                                     "June 2021", ""]
    view = window.pages["photos"].view
    _check_grid(view, [Section("Date unknown", 0, 1), Section("May 2019", 1, 1), Section("January 2020", 2, 2),
                       Section("June 2021", 4, 2)])
    window.resize(800, 600)  # narrower: fewer columns, the headings still span the grid
    qtbot.waitUntil(lambda: view.viewport().width() < 700, timeout=WAIT_MS)
    _check_grid(view, photos.sections)
    view.grab()


class MonthsModel(QAbstractListModel):
    """100,000 rows in 120 months, each row a plain string (what the grid lays out is the months)."""

    def __init__(self, months: int, per_month: int) -> None:
        super().__init__()
        self.sections = [Section(f"Month {m}", m * per_month, per_month) for m in range(months)]
        self.rows = months * per_month

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else self.rows

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return str(index.row()) if role == Qt.ItemDataRole.DisplayRole else None


def test_a_grid_of_100000_photos_lays_out_fast_without_a_widget_per_photo(qtbot: Any) -> None:
    model = MonthsModel(120, 834)  # 100,080 photos
    view = TimelineView("photosView")
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.set_cell(QSize(176, 176))
    view.show()
    qtbot.waitExposed(view)
    t0 = time.perf_counter()
    view.setModel(model)
    view.grab()  # laid out and painted
    opened = time.perf_counter() - t0
    assert opened < 0.5, f"{opened * 1000:.0f} ms to lay out and paint 100,080 photos"
    assert len(view.findChildren(QWidget)) < 20  # scroll bars and the viewport, nothing per photo
    last = model.index(model.rows - 1, 0)
    t0 = time.perf_counter()
    view.scrollTo(last, QAbstractItemView.ScrollHint.PositionAtBottom)
    rect = view.visualRect(last)
    assert view.viewport().rect().contains(rect.center())
    assert view.indexAt(rect.center()).row() == model.rows - 1
    heading = view.heading_rect(119)
    assert heading.width() == view.viewport().width() and heading.bottom() <= view.visualRect(
        model.index(119 * 834, 0)).top()
    view.grab()
    assert time.perf_counter() - t0 < 0.5
    # keyboard: Down from a month's last row goes to the next month's first row, same column
    view.setCurrentIndex(model.index(833, 0))  # the last photo of month 0
    columns = view.columns()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 834 + 833 % columns
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == 833
    # Shift+click selects the run of photos between, in date order
    view.scrollTo(model.index(0, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(model.index(2, 0)).center())
    target = view.visualRect(model.index(columns + 1, 0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, pos=target)
    assert view.selected_rows() == list(range(2, columns + 2))
    assert not view.indexAt(QPoint(5, 5)).isValid()
