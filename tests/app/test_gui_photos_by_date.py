"""Capability: a person's page shows their photos (not only face crops) by date, with a month
heading on the first photo of each month; All Photos has the headings too."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, seed

from app.itemmodels import roles

DATES = [datetime(2021, 6, 3), datetime(2020, 1, 9), datetime(2021, 6, 20), datetime(2020, 1, 2), None]


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
    headings = [model.index(r).data(roles.HEADING) for r in range(5)]
    assert headings == ["Date unknown", "January 2020", "", "June 2021", ""]
    page.photo_view.grab()  # paints the headings
    window.show_page("photos")
    qtbot.waitUntil(lambda: window.photos_model.has_loaded and window.photos_model.rowCount() == 6, timeout=WAIT_MS)
    assert [window.photos_model.heading(r) for r in range(6)] == ["Date unknown", "May 2019", "January 2020", "",
                                                                  "June 2021", ""]
