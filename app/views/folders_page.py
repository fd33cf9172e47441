"""Folders: the folders added to the library, to import again (new photos, resume after a
cancel) or forget; plus the import report."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.theme import Theme
from app.views.widgets import EmptyState, PageHeader, stack_page, tool_button


class FoldersPage(QWidget):
    """A list of folder paths with Add / Import Again / Remove."""

    addRequested = Signal()
    importRequested = Signal(list)  # folder paths
    removeRequested = Signal(str)
    reportRequested = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.header = PageHeader("Folders")
        self.add_button = tool_button("&Add Folder…", theme.icon("folder-add"), "Add a folder of photos (Ctrl+O)")
        self.rescan_button = tool_button("Import &Again", theme.icon("redo"),
                                         "Look for new or changed photos; finishes an import that was cancelled")
        self.remove_button = tool_button("&Remove From List", theme.icon("close"),
                                         "Forget this folder here (its photos stay in the library)")
        self.report_button = tool_button("Import Re&port…", theme.icon("report"), "Files that could not be imported")
        for w in (self.add_button, self.rescan_button, self.remove_button, self.report_button):
            self.header.add(w)
        self.list = QListWidget()
        self.list.setObjectName("cardsView")
        self.list.setAccessibleName("Folders")
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.empty = EmptyState("No folders yet", "Drag folders of photos onto this window, or add one.",
                                "Add Folder…")
        self.stack = stack_page(self, self.header, self.list, self.empty)
        self.add_button.clicked.connect(self.addRequested)
        self.empty.button.clicked.connect(self.addRequested)
        self.rescan_button.clicked.connect(self._rescan)
        self.remove_button.clicked.connect(self._remove)
        self.report_button.clicked.connect(self.reportRequested)
        self.list.itemActivated.connect(lambda item: self.importRequested.emit([item.data(Qt.ItemDataRole.UserRole)]))
        self.list.itemSelectionChanged.connect(self._update_state)

    def set_folders(self, folders: list[str]) -> None:
        self.list.clear()
        for folder in folders:
            item = QListWidgetItem(self.theme.icon("folder"), f"{Path(folder).name}    —    {folder}")
            item.setData(Qt.ItemDataRole.UserRole, folder)
            item.setToolTip(folder + ("" if Path(folder).exists() else "\n(not found: disconnected drive?)"))
            self.list.addItem(item)
        self.header.subtitle.setText(f"{len(folders)} folder{'s' if len(folders) != 1 else ''}")
        self.stack.setCurrentWidget(self.list if folders else self.empty)
        self._update_state()

    def _selected(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]

    def _update_state(self) -> None:
        has = bool(self._selected()) or self.list.count() > 0
        self.rescan_button.setEnabled(has)
        self.remove_button.setEnabled(bool(self._selected()))

    def _rescan(self) -> None:
        chosen = self._selected() or [self.list.item(i).data(Qt.ItemDataRole.UserRole)
                                      for i in range(self.list.count())]
        if chosen:
            self.importRequested.emit(chosen)

    def _remove(self) -> None:
        for path in self._selected():
            self.removeRequested.emit(path)
