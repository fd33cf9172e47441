"""The People and Groups pages: a grid of cards with search, sort, name, merge and hide."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QMenu, QWidget

from app.itemmodels import roles
from app.itemmodels.cards import CardsModel
from app.itemmodels.cards_proxy import CardsProxy
from app.operations import Operations
from app.theme import Theme
from app.views.delegates import CardDelegate
from app.views.grid import CardsView
from app.views.page_header import PageHeader
from app.views.widgets import EmptyState, combo_box, stack_page, tool_button

SEARCH_WIDTH = 180


class CardsPage(QWidget):
    """People (``kind="person"``) or unnamed Groups (``kind="cluster"``)."""

    openRequested = Signal(str, int, str)  # kind, id, title
    addFolderRequested = Signal()
    showGroupsRequested = Signal()

    def __init__(self, kind: str, model: CardsModel, ops: Operations, theme: Theme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind, self.model, self.ops, self.theme = kind, model, ops, theme
        people = kind == "person"
        self.proxy = CardsProxy(self)
        self.proxy.setSourceModel(model)
        self.header = PageHeader("People" if people else "Groups")
        self.search = QLineEdit()
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText("Search people")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search people")
        self.search.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.setVisible(people)
        self.sort = combo_box()
        self.sort.addItems(["Most faces", "Name"])
        self.sort.setSizeAdjustPolicy(self.sort.SizeAdjustPolicy.AdjustToContents)  # never "Most"
        self.sort.setMinimumContentsLength(len("Most faces"))
        self.search.setMinimumWidth(SEARCH_WIDTH)  # here only: a style sheet min-width would fight the layout
        self.sort.setAccessibleName("Sort by")
        self.sort.setToolTip("Sort by")
        self.sort.currentIndexChanged.connect(lambda i: self.proxy.set_sort("name" if i else "count"))
        self.sort.setVisible(people)
        self.name_button = tool_button("&Rename" if people else "&Name", theme.icon("people"),
                                       "Name the selected card (F2)")
        self.merge_button = tool_button("&Merge", theme.icon("merge"),
                                        "Merge the selected cards (Ctrl+M), or drag a card onto another")
        self.hide_button = tool_button("&Hide", theme.icon("hide"), "Hide the selected people (Ctrl+H)")
        self.hide_button.setVisible(people)
        self.open_button = tool_button("&Show Faces", theme.icon("open"), "Show every face (Return)")
        for w in (self.search, self.sort, self.name_button, self.merge_button, self.hide_button, self.open_button):
            self.header.add(w)

        self.view = CardsView()
        self.view.setModel(self.proxy)
        self.delegate = CardDelegate(theme.colors, ops.completer(self), self.view)
        self.view.setItemDelegate(self.delegate)
        self.delegate.editorOpened.connect(self._editor_opened)
        self.view.set_cell(QSize(CardDelegate.WIDTH, CardDelegate.HEIGHT))
        self.view.setAccessibleName("People" if people else "Groups")
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated.connect(self._open)
        self.view.doubleClicked.connect(self._double_clicked)
        model.thumbs.ready.connect(self.view.schedule_repaint)
        theme.changed.connect(self._retheme)

        if people:
            self.empty = EmptyState("No people yet", "Name a group of faces and the person appears here. "
                                    "FaceNet Organizer then finds them in your other photos.", "Show Groups")
            self.empty.button.clicked.connect(self.showGroupsRequested)
        else:
            self.empty = EmptyState("No groups of faces yet", "Drag folders of photos onto this window, or "
                                    "choose File ▸ Add Folder. Faces that look alike are grouped here.",
                                    "Add Folder…")
            self.empty.button.clicked.connect(self.addFolderRequested)
        self.stack = stack_page(self, self.header, self.view, self.empty)

        self.name_button.clicked.connect(self.edit_current)
        self.merge_button.clicked.connect(self.merge_selected)
        self.hide_button.clicked.connect(self.hide_selected)
        self.open_button.clicked.connect(lambda: self._open(self.view.currentIndex()))
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.loaded,
                       self.proxy.layoutChanged, self.proxy.rowsInserted, self.proxy.rowsRemoved,
                       self.proxy.modelReset):
            signal.connect(self._update_state)
        model.renameRequested.connect(self._renamed)
        model.mergeRequested.connect(lambda sources, k, i: self.ops.merge(sources, (k, i)))
        self.view.selectionModel().selectionChanged.connect(self._update_state)
        self._update_state()

    def _retheme(self) -> None:
        self.delegate.colors = self.theme.colors
        self.view.viewport().update()

    def focus_search(self) -> None:
        if self.search.isVisible():
            self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.search.selectAll()

    def _update_state(self, *_args: object) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        noun = ("person", "people") if self.kind == "person" else ("group", "groups")
        text = f"{total:,} {noun[0] if total == 1 else noun[1]}"
        if shown != total:
            text = f"{shown:,} of {text}"
        if shown >= 2:  # say that cards can be merged by dragging (testers did not find it)
            text += " · drag a card onto another to merge"
        self.header.subtitle.setText(text if self.model.has_loaded else "Loading…")
        searching = bool(self.search.text())
        self.stack.setCurrentWidget(self.view if total or searching or not self.model.has_loaded else self.empty)
        selected = self.selected()
        self.name_button.setEnabled(len(selected) == 1)
        self.open_button.setEnabled(len(selected) == 1)
        self.merge_button.setEnabled(len(selected) >= 2)
        self.hide_button.setEnabled(bool(selected))
        hidden = bool(selected) and all(roles.get(self.proxy.index(r, 0), roles.HIDDEN)
                                        for r in self._rows())
        self.hide_button.setText("S&how" if hidden else "&Hide")

    def _rows(self) -> list[int]:
        return [i.row() for i in self.view.selectionModel().selectedIndexes()]

    def selected(self) -> list[tuple[str, int]]:
        """(kind, id) of the selected cards, in grid order."""
        return [(self.kind, roles.get(self.proxy.index(r, 0), roles.ID)) for r in sorted(self._rows())]

    def _editor_opened(self, editor: QWidget) -> None:
        self.model.hold()  # the cards hold still while a name is typed
        editor.destroyed.connect(self.model.release)

    def edit_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.view.edit(index)

    def _double_clicked(self, index: QModelIndex) -> None:
        if self.kind == "cluster":
            self.view.edit(index)  # groups are named in place

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            title = roles.get(index, Qt.ItemDataRole.DisplayRole)
            self.openRequested.emit(self.kind, roles.get(index, roles.ID), title)

    def _renamed(self, kind: str, item_id: int, name: str) -> None:
        def settled() -> None:
            self.model.settle(item_id)

        if kind == "cluster":
            self.ops.name_group(item_id, name, settled=settled)
        else:
            self.ops.rename_person(item_id, name, settled=settled)

    def merge_selected(self) -> None:
        """Merge the selection into its first card (the biggest when sorted by count); the
        first named person wins over unnamed groups."""
        cards = self.selected()
        if len(cards) < 2:
            return
        self.ops.merge(cards[1:], cards[0], ask=True)

    def hide_selected(self) -> None:
        rows = self._rows()
        if self.kind != "person" or not rows:
            return
        hide = not all(roles.get(self.proxy.index(r, 0), roles.HIDDEN) for r in rows)
        for r in rows:
            self.ops.hide_person(roles.get(self.proxy.index(r, 0), roles.ID), hide)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.addAction("Show Faces", lambda: self._open(index))
        menu.addAction("Rename…" if self.kind == "person" else "Name…", lambda: self.view.edit(index))
        if len(self.selected()) >= 2:
            menu.addAction("Merge Selected", self.merge_selected)
        if self.kind == "person":
            menu.addAction("Show" if roles.get(index, roles.HIDDEN) else "Hide", self.hide_selected)
        menu.popup(self.view.viewport().mapToGlobal(pos))
