"""``--screenshots DIR``: one run that opens every page and dialog at every size and saves
``DIR/<page>_<W>x<H>.png``. On a real X server (the xcb platform, e.g. Xvfb) each picture is what the
server shows, captured with ImageMagick's ``import -window root``; elsewhere (offscreen) the window
is grabbed with QWidget.grab. A dialog (Settings, Train) is captured alone, at most the size of the
window it belongs to."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.application import build_window, create_qt_app
from app.headless import _idle, _open_view, pump_until

PAGES = ("photos", "people", "person", "person_photos", "groups", "review", "unknown", "folders", "viewer", "settings",
         "training")


def _open(window: Any, ctx: Any, page: str) -> QDialog | None:
    """Show ``page`` (a dialog over the People page for "settings" and "training"); the dialog."""
    if page in ("settings", "training"):
        window.show_page("people")
        if page == "settings":
            window.show_settings()
            dialog: QDialog = window.settings_dialog
            return dialog
        from app.views.train_dialog import open_train_dialog

        return open_train_dialog(window)
    _open_view(window, ctx, "detail" if page.startswith("person") else page)
    if page.startswith("person"):
        detail = window.pages.detail
        pump_until(lambda: _idle(ctx), 30)
        detail.photos_toggle.setChecked(page == "person_photos")  # their photos by date, under month headings
    return None


def _has_size(window: QWidget, size: tuple[int, int]) -> Callable[[], bool]:
    return lambda: window.size().toTuple() == size


def _settle(ctx: Any) -> None:
    pump_until(lambda: _idle(ctx), 60, settle_s=0.4)
    for _ in range(3):  # repaint with the thumbnails that arrived, then let them settle again
        QApplication.processEvents()
        pump_until(lambda: _idle(ctx), 10, settle_s=0.3)


def _area(window: QWidget, dialog: QWidget | None) -> QRect:
    """The window, or the dialog alone when one is open (no window manager draws its frame)."""
    return dialog.frameGeometry() if dialog is not None and dialog.isVisible() else window.frameGeometry()


def _capture_x(window: QWidget, dialog: QWidget | None, out: Path) -> bool:
    """What the X server shows of the window (and the dialog over it)."""
    for w in (window, dialog):
        if w is not None:
            w.repaint()
    QGuiApplication.sync()
    pump_until(lambda: False, 0.5)  # let the X server draw what was sent
    r = _area(window, dialog)
    done = subprocess.run(["import", "-window", "root", "-crop", f"{r.width()}x{r.height()}+{r.x()}+{r.y()}",
                           "+repage", "-depth", "8", str(out)], check=False)
    return done.returncode == 0


def _capture_grab(window: QWidget, dialog: QWidget | None, out: Path) -> bool:
    """The window (or the dialog) rendered by Qt."""
    shown = dialog if dialog is not None and dialog.isVisible() else window
    return shown.grab().save(str(out), "PNG")


def tour(library: Path, out_dir: Path, sizes: list[tuple[int, int]], pages: tuple[str, ...] = PAGES,
         timeout_s: float = 90.0) -> int:
    """Save every page of ``library`` at every size to ``out_dir``; 0 when all were saved."""
    app = create_qt_app(headless=True)
    on_x = QGuiApplication.platformName() == "xcb"
    if on_x and shutil.which("import") is None:
        print("screenshots: ImageMagick's import is needed on X", file=sys.stderr)
        return 1
    ctx, window = build_window(app, library)
    window.move(0, 0)
    window.show()
    if not pump_until(lambda: window.people_model.has_loaded and _idle(ctx), timeout_s):
        print("screenshots: the library did not open in time", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for size in sizes:
        width, height = size
        window.resize(width, height)
        window.move(0, 0)
        pump_until(_has_size(window, size), 5)
        for page in pages:
            dialog = _open(window, ctx, page)
            if dialog is not None:
                pump_until(dialog.isVisible, 5)
                dialog.resize(min(dialog.width(), width - 40), min(dialog.height(), height - 40))  # fits the screen
                dialog.move(0, 0)
            _settle(ctx)
            out = out_dir / f"{page}_{width}x{height}.png"
            started = time.perf_counter()
            ok = (_capture_x if on_x else _capture_grab)(window, dialog, out)
            failed += not ok
            print(f"{out}: {'saved' if ok else 'FAILED'} ({time.perf_counter() - started:.1f} s)")
            if dialog is not None:
                dialog.reject() if page == "settings" else dialog.close()
                pump_until(dialog.isHidden, 5)
    window.close()
    ctx.shutdown()
    return 1 if failed else 0
