"""Folders: browse the folders that hold the library's photos as a tree; opening one (double-click
or Return) shows its photos and those below it. Importing again is only ever the explicit
"Import Again" command (new or changed photos; finishes a cancelled import), on the chosen folder
or, with none chosen, on every folder added; "Remove From List" forgets an added folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QTreeWidget, QTreeWidgetItem, QWidget

from app.itemmodels import roles
from app.itemmodels.photos import PhotosModel
from app.theme import Theme
from app.views.delegates import PhotoDelegate
from app.views.grid import GridView
from app.views.widgets import EmptyState, PageHeader, count, stack_page, tool_button

PATH_ROLE = int(Qt.ItemDataRole.UserRole)


class FoldersPage(QWidget):
    """A tree of folders with photos (and the folders added), and the photos of the one opened."""

    addRequested = Signal()
    importRequested = Signal(list)  # folder paths
    removeRequested = Signal(str)
    reportRequested = Signal()
    photoRequested = Signal(int, int)  # photo id, row in :attr:`photos`

    def __init__(self, theme: Theme, photos: PhotosModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme, self.photos = theme, photos
        self.added: list[str] = []
        self.opened: str | None = None
        self.header = PageHeader("Folders")
        self.add_button = tool_button("&Add Folder…", theme.icon("folder-add"), "Add a folder of photos (Ctrl+O)")
        self.rescan_button = tool_button("Import &Again", theme.icon("redo"),
                                         "Look for new or changed photos in the chosen folder (or in every "
                                         "folder added); finishes an import that was cancelled")
        self.remove_button = tool_button("&Remove From List", theme.icon("close"),
                                         "Forget this folder here (its photos stay in the library)")
        self.report_button = tool_button("Import Re&port…", theme.icon("report"), "Files that could not be imported")
        for w in (self.add_button, self.rescan_button, self.remove_button, self.report_button):
            self.header.add(w)
        self.tree = QTreeWidget()
        self.tree.setObjectName("folderTree")
        self.tree.setAccessibleName("Folders")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setUniformRowHeights(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long root path keeps its end
        self.list = self.tree  # the page's main list (older name)
        self.grid = GridView("photosView")
        self.grid.setModel(photos)
        self.delegate = PhotoDelegate(theme.colors, self.grid)
        self.grid.setItemDelegate(self.delegate)
        self.grid.set_cell(QSize(PhotoDelegate.SIZE, PhotoDelegate.SIZE), square=True)
        self.grid.setAccessibleName("Photos in the folder")
        photos.thumbs.ready.connect(self.grid.schedule_repaint)
        self.hint = QLabel("Double-click a folder to see its photos.")
        self.hint.setObjectName("emptyText")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.right = QStackedWidget()
        self.right.addWidget(self.hint)
        self.right.addWidget(self.grid)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 700])
        self.empty = EmptyState("No folders yet", "Drag folders of photos onto this window, or add one.",
                                "Add Folder…")
        self.stack = stack_page(self, self.header, self.splitter, self.empty)
        self.add_button.clicked.connect(self.addRequested)
        self.empty.button.clicked.connect(self.addRequested)
        self.rescan_button.clicked.connect(self._rescan)
        self.remove_button.clicked.connect(self._remove)
        self.report_button.clicked.connect(self.reportRequested)
        self.tree.setExpandsOnDoubleClick(False)  # a double-click opens (the arrow expands)
        self.tree.itemActivated.connect(lambda item, _column: self.open_folder(item.data(0, PATH_ROLE)))
        self.tree.itemDoubleClicked.connect(lambda item, _column: self.open_folder(item.data(0, PATH_ROLE)))
        self.tree.itemSelectionChanged.connect(self._update_state)
        self.grid.activated.connect(self._open_photo)
        photos.loaded.connect(self._update_state)
        self._folders: list[Any] = []
        self._update_state()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not getattr(self, "_sized", False) and self.splitter.width() > 0:  # the tree takes about a third
            self._sized = True
            total = self.splitter.width()
            left = int(max(180, min(300, total * 0.3)))
            self.splitter.setSizes([left, total - left])

    def set_folders(self, folders: list[str]) -> None:
        """The folders added to the library (what Import Again looks through)."""
        self.added = list(folders)
        self._fill()

    def set_photo_folders(self, folders: list[Any]) -> None:
        """The folders holding photos (core FolderCount rows)."""
        self._folders = list(folders)
        self._fill()

    def _fill(self) -> None:
        from core.library.folders import folder_tree

        expanded = {self.tree.topLevelItem(i).data(0, PATH_ROLE) for i in range(self.tree.topLevelItemCount())
                    if self.tree.topLevelItem(i).isExpanded()}
        chosen = self.chosen()
        self.tree.clear()
        nodes = folder_tree(self._folders)
        shown = set()

        def add(parent: Any, node: Any) -> QTreeWidgetItem:
            item = QTreeWidgetItem(parent, [node.name, f"{node.total:,}"])
            item.setIcon(0, self.theme.icon("folder"))
            item.setData(0, PATH_ROLE, node.path)
            item.setToolTip(0, node.path + ("" if Path(node.path).exists() else "\n(not found: disconnected drive?)"))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            shown.add(node.path)
            for child in node.children:
                add(item, child)
            return item

        for node in nodes:
            add(self.tree, node).setExpanded(node.path in expanded or len(nodes) == 1)
        for folder in self.added:  # added, no photos (yet)
            if folder not in shown and not any(folder.startswith(s.rstrip("/\\") + "/") for s in shown):
                item = QTreeWidgetItem(self.tree, [folder, "0"])
                item.setIcon(0, self.theme.icon("folder"))
                item.setData(0, PATH_ROLE, folder)
        self.tree.resizeColumnToContents(1)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, self.tree.header().ResizeMode.Stretch)
        if chosen:
            self._select(chosen)
        total = len(self._folders)
        self.header.subtitle.setText(count(total, "folder with photos", "folders with photos") if total
                                     else count(len(self.added), "folder", "folders"))
        self.stack.setCurrentWidget(self.splitter if self.tree.topLevelItemCount() else self.empty)
        self._update_state()

    def _select(self, path: str) -> None:
        for item in self._items():
            if item.data(0, PATH_ROLE) == path:
                self.tree.setCurrentItem(item)
                return

    def _items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            out.append(item)
            stack.extend(item.child(i) for i in range(item.childCount()))
        return out

    def chosen(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, PATH_ROLE) if items else None

    def open_folder(self, path: str | None) -> None:
        """Show the photos in ``path`` and below it (never imports)."""
        if not path or (path == self.opened and self.right.currentWidget() is self.grid):
            return
        self.opened = path
        self.photos.set_folder(path)
        self.right.setCurrentWidget(self.grid)
        self._update_state()

    def _update_state(self) -> None:
        chosen = self.chosen()
        self.rescan_button.setEnabled(bool(chosen) or bool(self.added))
        self.remove_button.setEnabled(chosen in self.added)
        if self.opened and self.photos.has_loaded:
            self.header.subtitle.setText(f"{self.opened} · " + count(self.photos.rowCount(), "photo", "photos"))

    def _rescan(self) -> None:
        chosen = self.chosen()
        targets = [chosen] if chosen else list(self.added)
        if targets:
            self.importRequested.emit(targets)

    def _remove(self) -> None:
        chosen = self.chosen()
        if chosen in self.added:
            self.removeRequested.emit(chosen)

    def _open_photo(self, index: QModelIndex) -> None:
        if index.isValid() and roles.get(index, roles.LOADED):
            self.photoRequested.emit(roles.get(index, roles.ID), index.row())
