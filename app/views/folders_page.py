"""Folders: browse the folders that hold the library's photos as a tree; opening one (double-click
or Return) shows its photos and those below it. Importing again is only ever the explicit
"Import Again" command (new or changed photos; finishes a cancelled import), on the chosen folder
or, with none chosen, on every folder added; "Remove From List" forgets an added folder."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QTreeWidget, QTreeWidgetItem, QWidget

from app.itemmodels import roles
from app.itemmodels.photos import PhotosModel
from app.theme import Theme
from app.views.delegates import PhotoDelegate
from app.views.page_header import PageHeader
from app.views.timeline import TimelineView
from app.views.widgets import EmptyState, count, stack_page, tool_button

PATH_ROLE = int(Qt.ItemDataRole.UserRole)


class _Empty:
    """A folder added to the library with no photos (yet)."""

    def __init__(self, path: str) -> None:
        self.path, self.name, self.total, self.photos = path, path, 0, 0
        self.children: list[Any] = []


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
        self.grid = TimelineView("photosView")
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
        self.tree.itemExpanded.connect(self._expanded)
        self._nodes: dict[str, Any] = {}
        self.grid.activated.connect(self._open_photo)
        photos.loaded.connect(self._update_state)
        self._folder_count: int = 0
        self._roots: list[Any] = []
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

    def set_photo_folders(self, tree: tuple[int, list[Any]]) -> None:
        """The folders holding photos: (how many, core ``folder_tree`` roots), made off the UI thread."""
        self._folder_count, self._roots = tree
        self._fill()

    def _fill(self) -> None:
        """Rebuild the tree: the roots now, each folder's subfolders when it is first expanded
        (a library of 100,000 photos may hold tens of thousands of folders)."""
        expanded = {item.data(0, PATH_ROLE) for item in self._items() if item.isExpanded()}
        chosen = self.chosen()
        self.tree.clear()
        self._nodes = {}
        self._icon = self.theme.icon("folder")
        nodes = self._roots
        shown = {node.path for node in nodes}
        for node in nodes:
            self._add(self.tree, node)
        for folder in self.added:  # added, no photos (yet)
            if folder not in shown and not any(folder.startswith(s.rstrip("/\\") + "/") for s in shown):
                self._add(self.tree, _Empty(folder))
        for top in self._tops():
            if top.data(0, PATH_ROLE) in expanded or self.tree.topLevelItemCount() == 1:
                top.setExpanded(True)
        for path in sorted(expanded, key=len):
            item = self.item_for(path, expand=False)
            if item is not None:
                item.setExpanded(True)
        self.tree.resizeColumnToContents(1)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, self.tree.header().ResizeMode.Stretch)
        if chosen:
            item = self.item_for(chosen)
            if item is not None:
                self.tree.setCurrentItem(item)
        total = self._folder_count
        self.header.subtitle.setText(count(total, "folder with photos", "folders with photos") if total
                                     else count(len(self.added), "folder", "folders"))
        self.stack.setCurrentWidget(self.splitter if self.tree.topLevelItemCount() else self.empty)
        self._update_state()

    def _add(self, parent: Any, node: Any) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [node.name, f"{node.total:,}"])
        item.setIcon(0, self._icon)
        item.setData(0, PATH_ROLE, node.path)
        item.setToolTip(0, node.path)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._nodes[node.path] = node
        if node.children:
            item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
        return item

    def _expanded(self, item: QTreeWidgetItem) -> None:
        """Add a folder's subfolders the first time it is opened."""
        node = self._nodes.get(item.data(0, PATH_ROLE))
        if node is None or item.childCount() or not node.children:
            return
        for child in node.children:
            self._add(item, child)

    def item_for(self, path: str, expand: bool = True) -> QTreeWidgetItem | None:
        """The tree's item for ``path`` (its parents are opened on the way when ``expand``)."""
        level = self._tops()
        while level:
            for item in level:
                here = item.data(0, PATH_ROLE)
                if here == path:
                    return item
                if path.startswith(here.rstrip("/\\") + "/") or path.startswith(here.rstrip("/\\") + "\\"):
                    if not item.childCount():
                        if not expand:
                            return None
                        self._expanded(item)
                    if expand:
                        item.setExpanded(True)
                    level = _children(item)
                    break
            else:
                return None
        return None

    def _items(self) -> list[QTreeWidgetItem]:
        """The items made so far (the opened part of the tree)."""
        out: list[QTreeWidgetItem] = []
        stack = self._tops()
        while stack:
            item = stack.pop()
            out.append(item)
            stack.extend(_children(item))
        return out

    def _tops(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

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


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [c for c in (item.child(i) for i in range(item.childCount())) if c is not None]
