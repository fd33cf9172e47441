"""Everything one window needs, created together: worker pools, the library store,
thumbnails, undo stack, operations, imports, settings and theme."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app.importing import ImportController
from app.names_writer import NamesWriter
from app.settings import AppSettings
from app.store import LibraryStore
from app.tasks import TaskRunner
from app.theme import Theme
from app.thumbnails import ThumbnailService
from app.undo import UndoController


class AppContext:
    """The services behind a :class:`app.views.main_window.MainWindow`."""

    def __init__(self, app: QApplication, settings: AppSettings | None = None, theme: Theme | None = None) -> None:
        self.app = app
        self.root = QObject()  # owns the services; deleted at shutdown
        self.settings = settings or AppSettings()
        self.theme = theme or Theme(app)
        self.runner = TaskRunner(self.root)
        self.store = LibraryStore(self.runner, self.root)
        self.store.pipeline_settings.update(detector=self.settings.detector, threads=self.settings.threads)
        self.store.watch_changes()  # what other computers (or processes) write shows up on its own
        self.thumbs = ThumbnailService(self.store, self.root)
        self.undo = UndoController(self.store, self.root)
        self.imports = ImportController(self.store, self.root)
        self.imports.strictness = self.settings.strictness
        self.names_writer = NamesWriter(self.store, self.root)
        self.names_writer.auto = self.settings.write_names

    def shutdown(self) -> None:
        """Stop background work and close the library (window closed)."""
        self.imports.cancel()
        self.names_writer.cancel()
        self.runner.cancel_all()
        self.thumbs.clear()
        self.thumbs.wait(30_000)
        # the warm import process first: it keeps a read-only connection to the library (its photo
        # index), and the library's last connection to close is the one that folds its log back
        self.imports.shutdown()
        self.store.close()
        self.runner.wait(30_000)
