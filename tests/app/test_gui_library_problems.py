"""Issue 13: a library that cannot be used is explained in a dialog, in the same words as the
command line."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, seed
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.context import AppContext
from app.settings import AppSettings
from app.theme import Theme
from app.views.main_window import MainWindow
from core.storage.engine import LibraryError, open_library


def test_foreign_file_opens_a_dialog_with_the_cli_text(qtbot: Any, tmp_path: Path, settings: AppSettings) -> None:
    other = tmp_path / "other-app.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (text TEXT)")
    con.commit()
    con.close()
    try:
        open_library(other)
    except LibraryError as exc:
        expected = str(exc)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = MainWindow(AppContext(app, settings=settings, theme=Theme(app, force="light")))
    qtbot.addWidget(window)
    window.show()
    window.open_library(other)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "libraryOpenFailed") is not None, timeout=WAIT_MS)
    box = window.findChild(QMessageBox, "libraryOpenFailed")
    assert box.text() == expected and "is not a FaceNet Organizer library" in expected
    assert not window.ctx.store.is_open
    box.close()
    window.close()


def test_a_non_utf8_file_name_shows_escaped(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    """Qt dropped the bytes of a name that is not UTF-8 ("bad_\\xff.jpg" showed as "bad_.jpg")."""
    bad = os.fsdecode(b"/photos/bad_\xff\xfe.jpg")
    seed(lib_path, lambda s: factory.photo(s, 1, path=bad))
    window = make_window()
    window.show_page("photos")
    model = window.photos_model
    qtbot.waitUntil(lambda: model.has_loaded and model.rowCount() == 1, timeout=WAIT_MS)
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("/photos/bad_\\xff\\xfe.jpg\n")
    assert model.photo(0).path == bad  # the exact name underneath
