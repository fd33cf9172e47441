"""Issue 16 in the app: a PostgreSQL URL in Settings (its password only ever in a masked field, the
URL checked before it is saved, a library that cannot be opened said in one line), and the
library's roots in Settings with "Locate…" for a root not mapped on this computer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, find_dialog
from PySide6.QtWidgets import QLineEdit, QMessageBox

from app.settings import AppSettings
from app.views.roots_panel import NOT_MAPPED
from app.views.settings_dialog import SettingsDialog
from core.storage.engine import open_library
from core.storage.postgres import DatabaseLocation
from core.storage.schema import LibraryRoot, Photo

SECRET = "s3cr#t"


def _box(qtbot: Any, parent: Any, name: str) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [b for b in parent.findChildren(QMessageBox) if b.objectName() == name and b.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def _visible_texts(widget: Any) -> list[str]:
    out = [widget.windowTitle(), widget.toolTip()]
    for field in widget.findChildren(QLineEdit):
        if field.echoMode() == QLineEdit.EchoMode.Normal:
            out += [field.text(), field.toolTip()]
    return out


def test_a_postgresql_url_in_settings(qtbot: Any, make_window: Any, settings: AppSettings, pg_server: Any) -> None:
    window = make_window()
    window.actions_by_name["settings"].trigger()
    dialog = find_dialog(qtbot, window, SettingsDialog)

    # Pasted with its password: the password moves to the masked field at once.
    url = pg_server.create_database()
    bare = url.replace("postgres:@", "postgres@")
    with_secret = bare.replace("postgres@", f"postgres:{SECRET.replace('#', '%23')}@")
    dialog.library.setText(with_secret)
    assert dialog.library.text() == bare and dialog.password.text() == SECRET
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password and dialog.password.isEnabled()
    assert not any(SECRET in t or "s3cr" in t for t in _visible_texts(dialog))

    # A URL that cannot be a library: one line in a message box, and the dialog stays.
    dialog.library.setText("postgresql://ann@db.example/")
    dialog.accept()
    box = _box(qtbot, dialog, "libraryLocationProblem")
    assert "names no database" in box.text() and "\n" not in box.text()
    box.close()
    assert dialog.isVisible()

    # The real server: saved with its password, opened, and the window shows the database's name.
    dialog.library.setText(bare)
    dialog.password.setText(SECRET)
    dialog.accept()
    saved = settings.library_path
    assert isinstance(saved, DatabaseLocation) and SECRET.replace("#", "%23") in saved.url
    qtbot.waitUntil(lambda: window.ctx.store.library is not None and window.ctx.store.library.backend == "postgresql",
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.windowTitle() == settings.library_path.name, timeout=WAIT_MS)
    assert SECRET not in window.counts.text()

    # Settings again: the URL without its password, the password masked.
    window.actions_by_name["settings"].trigger()
    again = find_dialog(qtbot, window, SettingsDialog)
    assert again.library.text() == bare and again.password.text() == SECRET
    assert not any("s3cr" in t for t in _visible_texts(again))
    again.reject()

    # A server that is not there: one line, password masked.
    window.open_library(DatabaseLocation(f"postgresql://ann:{SECRET.replace('#', '%23')}@/nodb?host=/nonexistent"))
    failed = _box(qtbot, window, "libraryOpenFailed")
    assert "\n" not in failed.text() and "s3cr" not in failed.text() and failed.text()
    failed.close()


def test_settings_locate_maps_a_root_that_is_not_mapped_here(qtbot: Any, make_window: Any, lib_path: Path,
                                                             tmp_path: Path) -> None:
    here = tmp_path / "share"
    here.mkdir()
    with open_library(lib_path) as lib, lib.session() as s:
        root = LibraryRoot(name="Photos", path="/nonexistent/computer-a/Photos")
        s.add(root)
        s.flush()
        s.add(Photo(root_id=root.id, path="2020/a.jpg", size=1, mtime=0.0, status="done"))
    window = make_window()
    qtbot.waitUntil(lambda: "not mapped" in window.statusBar().currentMessage(), timeout=WAIT_MS)
    assert window.statusBar().currentMessage() == \
        "root 'Photos' is not mapped on this computer: faceorg roots map Photos /path (Settings → Roots)"
    window.actions_by_name["settings"].trigger()
    dialog = find_dialog(qtbot, window, SettingsDialog)
    panel = dialog.roots
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 1, timeout=WAIT_MS)
    item = panel.list.topLevelItem(0)
    assert (item.text(0), item.text(1), item.text(2)) == ("Photos", "1", NOT_MAPPED)
    assert "Photos" in panel.message.text()
    panel.list.setCurrentItem(item)
    assert panel.locate.isEnabled()
    with qtbot.waitSignal(panel.mapped, timeout=WAIT_MS):
        panel.map("Photos", str(here))
    assert panel.list.topLevelItem(0).text(2) == str(here) and panel.message.text() == ""

    def photo_path() -> str:
        from core.library import queries

        with window.ctx.store.library.session() as s:
            return queries.photos(s)[0].path

    assert photo_path() == str(here / "2020" / "a.jpg")
    panel.map("Nope", str(here))
    box = _box(qtbot, panel, "rootMapFailed")
    assert "no root named 'Nope'" in box.text() and "\n" not in box.text()
    dialog.reject()
