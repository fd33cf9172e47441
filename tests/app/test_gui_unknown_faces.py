"""Defect 9: faces in no group were reachable only one photo at a time. The Unknown Faces page
lists them; several at once can be named (Who Is This?) or ignored, with undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, find_dialog, read, seed
from PySide6.QtCore import QItemSelectionModel, Qt

from app.views.sidebar import COUNT_ROLE
from app.views.widgets import NamePrompt
from core.library import queries


def test_unknown_faces_can_be_named_and_ignored_in_bulk(qtbot: Any, make_window: Any, lib_path: Path,
                                                        factory: Any) -> None:
    def make(session: Any) -> list[int]:
        from core.library.people import assign_faces

        assign_faces(session, factory.faces(session, 2), "Ann")
        factory.cluster(session, factory.faces(session, 2))
        return factory.faces(session, 3)

    loose = seed(lib_path, make)
    window = make_window()
    keys = window.sidebar.keys()
    assert "unknown" in keys
    qtbot.waitUntil(lambda: window.sidebar.list.item(keys.index("unknown")).data(COUNT_ROLE) == 3, timeout=WAIT_MS)
    window.show_page("unknown")
    page = window.pages["unknown"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT_MS)
    assert sorted(page.model.face(r).id for r in range(3)) == sorted(loose)
    assert not page.back.isVisible() and not page.not_button.isVisible()
    assert page.move_button.text() == "&Who Is This?"

    selection = page.view.selectionModel()
    selection.setCurrentIndex(page.model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    selection.select(page.model.index(1), QItemSelectionModel.SelectionFlag.Select)
    chosen = sorted(page.selected_faces())
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_M)
    prompt = find_dialog(qtbot, window, NamePrompt)
    prompt.edit.setText("Bo")
    prompt.accept()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    bo = next(p for p in read(window, queries.list_people) if p.name == "Bo")
    assert sorted(f.id for f in read(window, lambda s: queries.faces_of_person(s, bo.id))) == chosen

    selection.setCurrentIndex(page.model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    window.activateWindow()  # the offscreen platform does not give it back after a dialog
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
    assert page.header.subtitle.text() == "Every face belongs to a group or a person"
    qtbot.waitUntil(lambda: window.sidebar.list.item(keys.index("unknown")).data(COUNT_ROLE) == 0, timeout=WAIT_MS)
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
