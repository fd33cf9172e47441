"""A person's faces: "Not this person" with the Delete key, "Move to…", ignore, cover;
undo and redo of each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, find_dialog, read, seed
from PySide6.QtCore import QItemSelectionModel, Qt

from app.views.detail_page import DetailPage
from app.views.widgets import NamePrompt
from core.library import queries


def _person_with_faces(lib_path: Path, factory: Any, name: str, n: int) -> tuple[int, list[int]]:
    def make(session: Any) -> tuple[int, list[int]]:
        from core.library.people import name_cluster

        faces = factory.faces(session, n)
        return name_cluster(session, factory.cluster(session, faces), name).id, faces

    return seed(lib_path, make)


def _open(qtbot: Any, window: Any, person_id: int, name: str) -> DetailPage:
    window.open_owner("person", person_id, name)
    page: DetailPage = window.pages["detail"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    return page


def _select(page: DetailPage, rows: list[int]) -> None:
    selection = page.view.selectionModel()
    selection.setCurrentIndex(page.model.index(rows[0]), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    for row in rows[1:]:
        selection.select(page.model.index(row), QItemSelectionModel.SelectionFlag.Select)
    page.view.setFocus()


def _faces_of(window: Any, person_id: int) -> list[int]:
    return sorted(f.id for f in read(window, lambda s: queries.faces_of_person(s, person_id)))


def test_not_this_person_with_delete_key_then_undo_redo(qtbot: Any, make_window: Any, lib_path: Path,
                                                        factory: Any) -> None:
    person, faces = _person_with_faces(lib_path, factory, "Linus", 4)
    window = make_window()
    page = _open(qtbot, window, person, "Linus")
    assert page.header.title.text() == "Linus"
    _select(page, [0, 1])
    wrong = sorted(page.selected_faces())
    qtbot.keyClick(page.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    assert _faces_of(window, person) == sorted(set(faces) - set(wrong))
    assert window.actions_by_name["undo"].text().startswith("&Undo 2 faces not")

    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=WAIT_MS)
    assert _faces_of(window, person) == sorted(faces)
    window.actions_by_name["redo"].trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)


def test_move_faces_to_another_person_then_undo(qtbot: Any, make_window: Any, lib_path: Path,
                                                factory: Any) -> None:
    ken, ken_faces = _person_with_faces(lib_path, factory, "Ken", 3)
    dennis, _ = _person_with_faces(lib_path, factory, "Dennis", 1)
    window = make_window()
    qtbot.waitUntil(lambda: len(window.ops.people) == 2, timeout=WAIT_MS)
    page = _open(qtbot, window, ken, "Ken")
    _select(page, [2])
    moved = page.selected_faces()
    qtbot.keyClick(page.view, Qt.Key.Key_M)
    prompt = find_dialog(qtbot, window, NamePrompt)
    qtbot.keyClicks(prompt.edit, "dennis")
    prompt.accept()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    assert set(moved) <= set(_faces_of(window, dennis))
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT_MS)
    assert _faces_of(window, ken) == sorted(ken_faces)


def test_ignore_a_face_and_choose_the_cover(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    person, faces = _person_with_faces(lib_path, factory, "Barbara", 3)
    window = make_window()
    page = _open(qtbot, window, person, "Barbara")
    _select(page, [2])
    cover = page.selected_faces()[0]
    page.cover_button.click()
    qtbot.waitUntil(lambda: [p.cover_face_id for p in read(window, queries.list_people)] == [cover],
                    timeout=WAIT_MS)
    _select(page, [0])
    qtbot.keyClick(page.view, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: [p.face_count for p in read(window, queries.list_people)] == [2], timeout=WAIT_MS)
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT_MS)
    window.go_back()
    assert window.current_page() == "people"


def test_alt_left_goes_back_from_a_group_page(qtbot: Any, make_window: Any, lib_path: Path, factory: Any,
                                              qtlog: Any) -> None:
    """Defect 7: Alt+Left did nothing on a person's or group's page ("Ambiguous shortcut overload":
    the page and the window's Back both had it)."""
    person, _faces = _person_with_faces(lib_path, factory, "Grace", 2)
    window = make_window()
    window.activateWindow()
    page = _open(qtbot, window, person, "Grace")
    assert window.current_page() == "detail"
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.current_page() == "people", timeout=WAIT_MS)
    assert not [r for r in qtlog.records if "Ambiguous" in r.message]


def test_no_shortcut_is_claimed_twice(make_window: Any) -> None:
    """A page's own shortcut that the window also has is ambiguous in Qt: neither fires."""
    from PySide6.QtGui import QAction

    window = make_window()
    seen: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for keys in action.shortcuts():
            if not keys.isEmpty():
                scope = "window" if action.shortcutContext() == Qt.ShortcutContext.WindowShortcut else \
                    f"page:{id(action.parent())}"
                seen.setdefault(keys.toString(), []).append(scope)
    clashes = {k: scopes for k, scopes in seen.items()
               if scopes.count("window") > 1 or ("window" in scopes and len(scopes) > 1)
               or len(scopes) != len(set(scopes))}
    assert clashes == {}
