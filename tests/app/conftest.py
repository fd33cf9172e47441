"""GUI test fixtures: offscreen Qt, isolated QSettings, and a factory for a real
MainWindow on a real library (seeded beforehand through core APIs, see gui_support)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import functools  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from gui_support import WAIT_MS  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.context import AppContext  # noqa: E402
from app.settings import AppSettings  # noqa: E402
from app.theme import Theme  # noqa: E402
from app.views.main_window import MainWindow  # noqa: E402


@pytest.fixture
def lib_path(tmp_path: Path) -> Path:
    return tmp_path / "library.sqlite"


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@functools.cache
def shared_pipeline() -> Any:
    """One FacePipeline for every GUI import test (the models load once); one torch thread
    because the test machine is shared."""
    from core.embedding.embedder import EmbedderSettings
    from core.pipeline import FacePipeline, PipelineSettings

    return FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8, threads=1)))


@pytest.fixture
def make_window(qtbot: Any, lib_path: Path, settings: AppSettings) -> Iterator[Callable[..., MainWindow]]:
    """``make_window()``: a shown MainWindow with ``lib_path`` open and its pages loaded."""
    windows: list[MainWindow] = []

    def make(*, pipeline: bool = False, warm: bool = False) -> MainWindow:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        ctx = AppContext(app, settings=settings, theme=Theme(app, force="light"))
        ctx.imports.warm_on_open = warm  # the import process starts at the first import, not at open
        if pipeline:
            ctx.store.use_pipeline(shared_pipeline())
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        window.open_library(lib_path)
        qtbot.waitUntil(lambda: window.people_model.has_loaded and window.groups_model.has_loaded,
                        timeout=WAIT_MS)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
