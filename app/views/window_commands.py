"""The main window's commands: importing (dialogs and folders dropped on the window),
the Settings and report dialogs, and the People menu acting on the current page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from app.views.cards_page import CardsPage
from app.views.dialogs import ImportReportDialog, about
from app.views.settings_dialog import SettingsDialog
from core.imaging.formats import FILE_PATTERNS

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from app.context import AppContext
    from app.itemmodels.cards import CardsModel
    from app.views.pages import Pages
    from core.storage.postgres import DatabaseLocation

    _WindowBase = QMainWindow  # what MainWindow is; at run time the mixin is a plain class
else:
    _WindowBase = object


def local_paths(mime: Any) -> list[Path]:
    """Local files and folders in a drag's URLs."""
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []


class WindowCommands(_WindowBase):
    """Mixed into MainWindow (a QMainWindow with ``ctx``, ``pages`` and the models)."""

    ctx: AppContext
    pages: Pages
    people_model: CardsModel

    if TYPE_CHECKING:  # MainWindow's navigation, used by the commands
        def current_page(self) -> str: ...
        def show_page(self, key: str, remember: bool = True) -> None: ...
        def open_library(self, path: Path | DatabaseLocation) -> None: ...

    # -- commands for the menus ----------------------------------------------------------------

    def _cards(self) -> Any:
        page = self.pages.get(self.current_page())
        return page if isinstance(page, CardsPage) else None

    def name_current(self) -> None:
        if self._cards() is not None:
            self._cards().edit_current()
        elif self.current_page() == "detail":
            self.pages.detail.rename()

    def merge_current(self) -> None:
        if self._cards() is not None:
            self._cards().merge_selected()

    def hide_current(self) -> None:
        if self._cards() is not None:
            self._cards().hide_selected()

    def find_person(self) -> None:
        self.show_page("people")
        self.pages.people.focus_search()

    def set_show_hidden(self, on: bool) -> None:
        self.people_model.include_hidden = on
        self.people_model.reload()

    # -- importing ------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if folder:
            self.import_paths([Path(folder)])

    def choose_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos", "",
                                                f"Photos ({' '.join(FILE_PATTERNS)})")
        if files:
            self.import_paths([Path(f) for f in files])

    def import_paths(self, paths: list[Path]) -> None:
        """Import files and folders in the background (queued while another import runs)."""
        if not paths:
            return
        library = self.ctx.store.library.path if self.ctx.store.library else self.ctx.settings.library_path
        folders = [str(p) for p in paths if p.is_dir()]
        if folders:
            self.ctx.settings.add_folders(library, folders)
            self.pages.folders.set_folders(self.ctx.settings.folders(library))
        self.ctx.imports.start(paths)

    def _forget_folder(self, path: str) -> None:
        library = self.ctx.store.library.path if self.ctx.store.library else self.ctx.settings.library_path
        self.ctx.settings.remove_folder(library, path)
        self.pages.folders.set_folders(self.ctx.settings.folders(library))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # -- dialogs ---------------------------------------------------------------------------------

    def show_report(self) -> None:
        last = self.ctx.imports.last
        rows = list(last.errors) if last else []
        report = last.report if last is not None else None
        if report is not None:  # names from photo metadata: what was skipped or disagrees (issue 12)
            rows += [(p, f"metadata: {r}") for p, r in [*getattr(report, "metadata_problems", []),
                                                         *getattr(report, "metadata_skipped", []),
                                                         *getattr(report, "metadata_conflicts", [])]]
        dialog = ImportReportDialog(self.ctx.store, rows, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.report_dialog = dialog

    def show_settings(self) -> None:
        dialog = SettingsDialog(self.ctx.settings, self.ctx.store, self)
        dialog.accepted.connect(lambda: self._settings_saved(dialog.save()))
        dialog.roots.mapped.connect(lambda _name: self.ctx.store.changed.emit())  # photo paths moved: reload
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.settings_dialog = dialog

    def _settings_saved(self, changed: dict[str, bool]) -> None:
        s, ctx = self.ctx.settings, self.ctx
        ctx.store.pipeline_settings.update(detector=s.detector, threads=s.threads)
        ctx.imports.strictness = s.strictness
        ctx.names_writer.auto = s.write_names
        if changed.get("library"):
            ctx.undo.stack.clear()
            self.open_library(s.library_path)
        elif changed.get("strictness"):
            ctx.imports.regroup()

    def write_names(self) -> None:
        """File > Write Names to Photos: sidecars for every photo with a named face, with progress."""
        from app.views.names_progress import run_names_writer

        run_names_writer(self)

    def show_merge_suggestions(self) -> None:
        """"Are these the same person?" for look-alike groups and people."""
        from app.views.merge_dialog import MergeDialog

        dialog = MergeDialog(self.ops, self.ctx.thumbs, self)  # type: ignore[attr-defined]
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        dialog.load()
        self.merge_dialog = dialog

    def show_about(self) -> None:
        about(self)
