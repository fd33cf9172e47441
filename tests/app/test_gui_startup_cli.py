"""Start-up stays light (no torch/OpenCV/SQLAlchemy before the window shows), the settings
dialog persists, and the command-line modes (--screenshot, --self-test) work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gui_support import REPO, WAIT_MS, find_dialog, seed
from PySide6.QtGui import QImage

from app.settings import AppSettings
from app.views.settings_dialog import SettingsDialog

HEAVY = ("torch", "cv2", "sqlalchemy", "alembic", "numpy", "PIL")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FACEORG_DATA=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.setdefault("FACEORG_CACHE", str(REPO / ".pytest_cache" / "faceorg-cache"))
    return env


def test_the_window_is_built_without_heavy_imports(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from app.application import create_qt_app\n"
        "from app.context import AppContext\n"
        "from app.views.main_window import MainWindow\n"
        "app = create_qt_app()\n"
        "window = MainWindow(AppContext(app))\n"
        "window.show(); app.processEvents()\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(tmp_path), capture_output=True,
                         text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_screenshot_renders_a_view_at_1280x800(tmp_path: Path, factory: Any) -> None:
    lib = tmp_path / "library.sqlite"
    seed(lib, lambda s: factory.cluster(s, factory.faces(s, 3)))
    out = tmp_path / "groups.png"
    subprocess.run([sys.executable, "-m", "app", "--library", str(lib), "--screenshot", str(out),
                    "--view", "groups"], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True,
                   timeout=180, check=True)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)


def test_screenshots_tour_every_page_at_every_size(tmp_path: Path, factory: Any) -> None:
    """``--screenshots DIR`` (what scripts/make_screenshots.py runs under Xvfb; offscreen here)."""
    from app.screenshot_tour import PAGES

    lib = tmp_path / "library.sqlite"
    seed(lib, lambda s: factory.cluster(s, factory.faces(s, 3)))
    out = tmp_path / "shots"
    subprocess.run([sys.executable, "-m", "app", "--library", str(lib), "--screenshots", str(out),
                    "--sizes", "800x600"], cwd=REPO, env=_env(tmp_path), capture_output=True, text=True,
                   timeout=300, check=True)
    for page in PAGES:
        image = QImage(str(out / f"{page}_800x600.png"))
        size = (image.width(), image.height())
        if page in ("settings", "training"):  # the dialog alone, within the window's size
            assert 0 < size[0] <= 800 and 0 < size[1] <= 600, (page, size)
        else:
            assert size == (800, 600), (page, size)


def test_settings_dialog_saves_and_applies(qtbot: Any, make_window: Any, settings: AppSettings) -> None:
    window = make_window()
    window.actions_by_name["settings"].trigger()
    dialog = find_dialog(qtbot, window, SettingsDialog)
    qtbot.waitUntil(lambda: dialog.preview.text() not in ("", "Counting groups…"), timeout=WAIT_MS)
    dialog.detector.setCurrentIndex(dialog.detector.findData("mtcnn"))
    dialog.strictness.button(0).setChecked(True)  # strict
    dialog.threads.setValue(2)
    dialog.accept()
    assert (settings.detector, settings.strictness, settings.threads) == ("mtcnn", "strict", 2)
    assert window.ctx.store.pipeline_settings["detector"] == "mtcnn"
    assert window.ctx.imports.strictness == "strict"


@pytest.mark.slow
def test_self_test_imports_the_sample_photo(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "app", "--self-test"], cwd=REPO, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "1 face" in out.stdout
    assert "torch not loaded here" in out.stdout  # the import ran in a child process


def test_qt_calls_cannot_exhaust_the_references_to_none(qapp: Any) -> None:
    """shiboken 6.12 on Python 3.11 drops a reference to None/True/False per void or bool
    call; app.compat makes them immortal, so a long session cannot abort the interpreter."""
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    before = sys.getrefcount(None)
    for _ in range(5000):
        widget.update()
    if sys.version_info < (3, 12):
        assert sys.getrefcount(None) > 1 << 39
    assert sys.getrefcount(None) >= before - 5000


def test_a_library_open_elsewhere_opens_read_only(qtbot: Any, make_window: Any, lib_path: Path,
                                                  factory: Any) -> None:
    from core.storage.engine import open_library

    seed(lib_path, lambda s: factory.cluster(s, factory.faces(s, 2)))
    with open_library(lib_path):  # another process would hold the writer lock like this
        window = make_window()
        assert window.ctx.store.read_only
        assert "read-only" in window.windowTitle()
        assert window.groups_model.rowCount() == 1
        failures: list[str] = []
        window.ctx.imports.failed.connect(failures.append)
        window.ctx.imports.start([lib_path.parent])  # no import into a library someone else writes
        assert not window.ctx.imports.running and "read-only" in failures[0]
        assert "read-only" in window.import_status.label.text()


def test_keyboard_reaches_every_page_and_menu_item(qtbot: Any, make_window: Any) -> None:
    from PySide6.QtCore import Qt

    window = make_window()
    for number, page in enumerate(("people", "groups", "review", "unknown", "photos", "folders"), start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == page
    for menu in window.menuBar().actions():
        assert "&" in menu.text(), f"menu {menu.text()} has no mnemonic"
        for action in menu.menu().actions():
            if not action.isSeparator():
                assert "&" in action.text(), f"{action.text()} has no mnemonic"
