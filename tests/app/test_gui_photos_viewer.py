"""All photos (virtual grid, filter by people) and the photo viewer (boxes, naming by
clicking a box, drawing a missed face)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gui_support import WAIT_MS, find_dialog, read, seed
from PySide6.QtCore import QPoint, QRectF, Qt

from app import resources
from app.itemmodels.photos import PAGE
from app.views.viewer_page import ViewerPage
from app.views.widgets import NamePrompt
from core.library import queries


def test_photos_grid_pages_rows_in_and_filters_by_people(qtbot: Any, make_window: Any, lib_path: Path,
                                                         factory: Any) -> None:
    n = PAGE * 2 + 50

    def make(session: Any) -> tuple[int, int]:
        from core.library.people import assign_faces

        start = datetime(2020, 1, 1)
        faces = [factory.photo(session, 2, taken_at=start + timedelta(hours=i)) for i in range(n)]
        ada = assign_faces(session, [faces[0][0], faces[5][0], faces[9][0]], "Ada").id
        bob = assign_faces(session, [faces[5][1], faces[7][1]], "Bob").id
        return ada, bob

    ada, bob = seed(lib_path, make)
    window = make_window()
    window.show_page("photos")
    model = window.photos_model
    qtbot.waitUntil(lambda: model.has_loaded, timeout=WAIT_MS)
    assert model.rowCount() == n
    assert model.photo(0) is not None and model.photo(n - 1) is None  # only the first page so far
    view = window.pages["photos"].view
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.photo(n - 1) is not None, timeout=WAIT_MS)
    dates = [model.photo(r).taken_at for r in (0, 1, n - 1)]
    assert dates == sorted(dates)  # by date taken

    window.pages["photos"].set_people([ada])
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    window.pages["photos"].set_people([ada, bob])  # photos showing both
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    assert "Ada and Bob" in window.pages["photos"].header.subtitle.text()
    window.pages["photos"].clear_button.click()
    qtbot.waitUntil(lambda: model.rowCount() == n, timeout=WAIT_MS)


def _photo_with_faces(lib_path: Path, tmp_path: Path, factory: Any) -> tuple[int, list[int]]:
    image = Path(shutil.copy(resources.resource("photos", "astronaut.jpg"), tmp_path / "astronaut.jpg"))

    def make(session: Any) -> tuple[int, list[int]]:
        faces = factory.photo(session, 2, path=str(image))
        return queries.photos(session)[0].id, faces

    return seed(lib_path, make)


def _open_viewer(qtbot: Any, window: Any) -> ViewerPage:
    window.show_page("photos")
    qtbot.waitUntil(lambda: window.photos_model.has_loaded, timeout=WAIT_MS)
    info = window.photos_model.photo(0)
    window._open_from_photos(info.id, 0)
    page: ViewerPage = window.pages["viewer"]
    qtbot.waitUntil(lambda: len(page.canvas.boxes) == 2, timeout=WAIT_MS)
    return page


def test_viewer_names_a_face_by_clicking_its_box(qtbot: Any, make_window: Any, lib_path: Path, tmp_path: Path,
                                                 factory: Any) -> None:
    photo_id, faces = _photo_with_faces(lib_path, tmp_path, factory)
    window = make_window()
    page = _open_viewer(qtbot, window)
    assert page.header.subtitle.text() == "2 faces"
    box = next(b for b in page.canvas.boxes if b.face.id == faces[1])
    centre = page.canvas.mapFromScene(box.rect().center())
    qtbot.mouseClick(page.canvas.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    menu = page.face_menu
    who = next(a for a in menu.actions() if a.text().startswith("Who Is This"))
    menu.close()  # as a click on the item would
    who.trigger()
    prompt = find_dialog(qtbot, window, NamePrompt)
    prompt.edit.setText("Eileen Collins")
    prompt.accept()
    qtbot.waitUntil(lambda: "Eileen Collins" in page.header.subtitle.text(), timeout=WAIT_MS)
    named = [f.person_name for f in read(window, lambda s: queries.faces_of_photo(s, photo_id))]
    assert "Eileen Collins" in named
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: page.header.subtitle.text() == "2 faces", timeout=WAIT_MS)
    window.activateWindow()  # the offscreen platform does not give it back after a dialog
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    page.canvas.setFocus()
    qtbot.keyClick(page.canvas, Qt.Key.Key_Escape)
    assert window.current_page() == "photos"


def test_drawing_a_box_adds_a_face(qtbot: Any, make_window: Any, lib_path: Path, tmp_path: Path,
                                   factory: Any) -> None:
    photo_id, _ = _photo_with_faces(lib_path, tmp_path, factory)
    window = make_window()
    page = _open_viewer(qtbot, window)
    qtbot.keyClick(page.canvas, Qt.Key.Key_A)
    assert page.draw_button.isChecked()
    drawn: list[QRectF] = []
    page.canvas.boxDrawn.connect(drawn.append)
    viewport = page.canvas.viewport()
    start, end = page.canvas.mapFromScene(170, 20), page.canvas.mapFromScene(290, 150)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, pos=QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2))
    qtbot.mouseMove(viewport, pos=end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert len(drawn) == 1
    rect = drawn[0]
    assert abs(rect.x() - 170) < 3 and abs(rect.bottom() - 150) < 3  # in photo pixels
    assert not page.draw_button.isChecked()
    pytest.importorskip("core.library.grouping", reason="waits for core.library.grouping.add_manual_face")
    qtbot.waitUntil(lambda: len(page.canvas.boxes) == 3, timeout=60_000)
    assert len(read(window, lambda s: queries.faces_of_photo(s, photo_id))) == 3
