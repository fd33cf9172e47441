"""Modes without a user: ``--screenshot`` (render one view to a PNG) and ``--self-test``
(import a photo into a temporary library; the installer check)."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app import resources
from app.application import build_window, create_qt_app

VIEWS = ("people", "groups", "photos", "review", "viewer", "detail", "folders")


def pump_until(condition: Callable[[], bool], timeout_s: float = 60.0, settle_s: float = 0.0) -> bool:
    """Run the event loop until ``condition()`` holds (for ``settle_s`` in a row) or time runs out."""
    deadline = time.monotonic() + timeout_s
    held_since: float | None = None
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if condition():
            held_since = held_since or time.monotonic()
            if time.monotonic() - held_since >= settle_s:
                return True
        else:
            held_since = None
        time.sleep(0.01)
    return False


def _idle(ctx: Any) -> bool:
    return ctx.runner.pending() == 0 and ctx.thumbs.idle()


def _open_view(window: Any, ctx: Any, view: str) -> None:
    if view == "viewer":
        model = window.photos_model
        window.show_page("photos")
        pump_until(lambda: model.has_loaded and _idle(ctx), 30)
        row = next((r for r in range(min(model.rowCount(), 500))
                    if (p := model.photo(r)) is not None and p.face_count > 1), 0)
        if model.rowCount():
            window._open_from_photos(model.photo(row).id, row, model)
        return
    if view == "folders":
        window.show_page("folders")
        page = window.pages.folders
        pump_until(lambda: page.tree.topLevelItemCount() > 0 and _idle(ctx), 30)
        if page.tree.topLevelItemCount():
            item = page.tree.topLevelItem(0)
            page.tree.setCurrentItem(item)
            page.open_folder(item.data(0, 256))  # Qt.UserRole: the folder's path
        return
    if view == "detail":
        window.show_page("people")
        model = window.people_model
        if model.rowCount():
            item = model.item(0)
            window.open_owner("person", item.id, item.name)
        return
    window.show_page(view)


def screenshot(library: Path, out: Path, view: str = "people", size: tuple[int, int] = (1280, 800),
               scale: float | None = None, timeout_s: float = 90.0) -> int:
    """Render ``view`` of ``library`` at ``size`` (logical pixels) to ``out`` and return 0."""
    app = create_qt_app(headless=True, scale=scale)
    ctx, window = build_window(app, library)
    window.resize(*size)
    window.show()
    if not pump_until(lambda: window.people_model.has_loaded and _idle(ctx), timeout_s):
        print("screenshot: the library did not open in time", file=sys.stderr)
        return 1
    _open_view(window, ctx, view)
    pump_until(lambda: _idle(ctx), timeout_s, settle_s=0.4)
    for _ in range(3):  # repaint with the thumbnails that arrived, then let them settle again
        QApplication.processEvents()
        pump_until(lambda: _idle(ctx), 10, settle_s=0.3)
    pixmap = window.grab()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = pixmap.save(str(out), "PNG")
    window.close()
    print(f"{out}: {pixmap.width()}x{pixmap.height()}")
    return 0 if ok else 1


def self_test_photo(folder: Path) -> Path:
    """Put the self-test photo (skimage's astronaut, else the shipped copy) in ``folder``."""
    target = folder / "astronaut.jpg"
    try:
        from PIL import Image
        from skimage import data

        Image.fromarray(data.astronaut()).save(target, quality=92)
    except Exception:  # noqa: BLE001 - skimage is a dev dependency; the bundle ships the photo
        shutil.copyfile(resources.resource("photos", "astronaut.jpg"), target)
    return target


def self_test(timeout_s: float = 300.0) -> int:
    """Import one photo through the app's import machinery into a temporary library; 0 if a
    face was found, 1 otherwise."""
    app = create_qt_app(headless=True)
    with tempfile.TemporaryDirectory(prefix="faceorg-selftest-") as tmp:
        root = Path(tmp)
        (root / "photos").mkdir()
        self_test_photo(root / "photos")
        from app.context import AppContext

        ctx = AppContext(app)
        outcome: dict[str, Any] = {}
        ctx.imports.finished.connect(lambda o: outcome.setdefault("done", o))
        ctx.imports.failed.connect(lambda text: outcome.setdefault("failed", text))
        ctx.store.openFailed.connect(lambda text: outcome.setdefault("failed", text))
        ctx.store.opened.connect(lambda _p: ctx.imports.start([root / "photos"]))
        ctx.store.open(root / "library.sqlite")
        started = time.monotonic()
        pump_until(lambda: bool(outcome), timeout_s)
        ctx.shutdown()
        if "failed" in outcome or "done" not in outcome:
            print(f"self-test FAILED: {outcome.get('failed', 'timed out')}", file=sys.stderr)
            return 1
        report = outcome["done"].report
        faces = getattr(report, "faces_new", 0)
        where = "torch loaded here too" if "torch" in sys.modules else "torch not loaded here"
        print(f"self-test: {getattr(report, 'photos_new', 0)} photo(s), {faces} face(s) "
              f"in {time.monotonic() - started:.1f} s (imported by a child process; {where})")
        QTimer.singleShot(0, app.quit)
        return 0 if faces >= 1 else 1
