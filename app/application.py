"""Creating the QApplication and the main window; the normal interactive start."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from app.settings import APPLICATION, ORGANIZATION

if TYPE_CHECKING:
    from app.views.main_window import MainWindow


def create_qt_app(argv: list[str] | None = None, *, scale: float | None = None,
                  headless: bool = False) -> QApplication:
    """The QApplication (created once). ``scale`` sets QT_SCALE_FACTOR; ``headless`` picks the
    offscreen platform when no platform was chosen."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if scale:
        os.environ["QT_SCALE_FACTOR"] = str(scale)
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Worker threads run Python too (SQLAlchemy, the importer): let the UI thread take the
    # GIL back within 2 ms instead of the default 5 ms, so that painting never waits long.
    sys.setswitchinterval(0.002)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("facenet-organizer")
    return app


def build_window(app: QApplication, library: Path | None = None) -> tuple[AppContext, MainWindow]:
    """Services and the main window, with the library opening in the background."""
    from app.views.main_window import MainWindow

    ctx = AppContext(app)
    window = MainWindow(ctx)
    window.open_library(library or ctx.settings.library_path)
    return ctx, window


def run_gui(library: Path | None = None, ready_file: Path | None = None) -> int:
    """The interactive app. ``ready_file`` receives launch timings (benchmarks)."""
    started = time.time()
    app = create_qt_app()
    ctx, window = build_window(app, library)
    window.show()
    if ready_file is not None:
        marks: dict[str, float] = {"python_start": _process_start() or started, "main": started}

        def write() -> None:
            ready_file.write_text(json.dumps(marks))

        def shown() -> None:  # first time the event loop is idle with the window on screen
            marks["shown"] = time.time()
            write()

        def library_ready() -> None:
            marks["library_ready"] = time.time()
            write()

        QTimer.singleShot(0, shown)
        window.libraryReady.connect(library_ready)
    code = app.exec()
    del ctx
    return code


def _process_start() -> float | None:
    """When this process started (Linux), to include the interpreter's own start-up."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        fields = Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = float(fields[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - (uptime - start_ticks / ticks)
    except (OSError, ValueError, IndexError):
        return None
