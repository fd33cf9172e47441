"""All photos: a virtual thumbnail grid by date taken, filtered by one or more people."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.itemmodels import roles
from app.itemmodels.photos import PhotosModel
from app.operations import Operations
from app.theme import Colors, Theme
from app.views.delegates import PhotoDelegate
from app.views.page_header import PageHeader
from app.views.timeline import TimelineView
from app.views.widgets import EmptyState, stack_page, tool_button


class PhotosPage(QWidget):
    """Every photo, newest last; the People menu keeps those showing all chosen people."""

    photoRequested = Signal(int, int)  # photo id, row
    addFolderRequested = Signal()

    def __init__(self, model: PhotosModel, ops: Operations, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.ops, self.theme = model, ops, theme
        self.importing = False
        self.header = PageHeader("All Photos")
        self.people_button = tool_button("&People", theme.icon("people"),
                                         "Show only the photos in which all chosen people appear")
        self.people_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.people_menu = QMenu(self)
        self.people_menu.aboutToShow.connect(self._fill_menu)
        self.people_button.setMenu(self.people_menu)
        self.clear_button = tool_button("Clear &Filter", theme.icon("close"), "Show every photo")
        self.clear_button.clicked.connect(lambda: self.set_people([]))
        self.header.add(self.people_button)
        self.header.add(self.clear_button)
        self.view = TimelineView("photosView")
        self.view.setModel(model)
        self.delegate = PhotoDelegate(theme.colors, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.set_cell(QSize(PhotoDelegate.SIZE, PhotoDelegate.SIZE), square=True)
        self.view.setAccessibleName("Photos")
        self.view.activated.connect(self._open)
        model.thumbs.ready.connect(self.view.schedule_repaint)
        self.empty = EmptyState("No photos yet", "Drag folders of photos onto this window, or choose "
                                "File ▸ Add Folder.", "Add Folder…")
        self.empty.button.clicked.connect(self.addFolderRequested)
        self.stack = stack_page(self, self.header, self.view, self.empty)
        model.loaded.connect(self._update_state)
        theme.changed.connect(lambda: self._recolor(theme.colors))
        self._update_state()

    def set_importing(self, on: bool) -> None:
        """While an import runs and nothing is stored yet, say so (not "add a folder")."""
        self.importing = on
        self._update_state()
    def _recolor(self, colors: Colors) -> None:
        self.delegate.colors = colors
        self.view.update()

    def set_people(self, person_ids: list[int]) -> None:
        """Filter by people (all of them in the photo); empty: every photo."""
        self.model.set_people(person_ids)
        self._update_state()

    def _fill_menu(self) -> None:
        self.people_menu.clear()
        chosen = set(self.model.person_ids)
        if not self.ops.people:
            self.people_menu.addAction("Nobody named yet").setEnabled(False)
        for pid, name in sorted(self.ops.people.items(), key=lambda kv: kv[1].casefold()):
            action = self.people_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(pid in chosen)
            action.toggled.connect(lambda on, pid=pid: self._toggle(pid, on))

    def _toggle(self, person_id: int, on: bool) -> None:
        ids = set(self.model.person_ids)
        ids = ids | {person_id} if on else ids - {person_id}
        self.set_people(sorted(ids))

    def _update_state(self) -> None:
        names = [self.ops.people.get(p, "?") for p in self.model.person_ids]
        total = self.model.rowCount()
        noun = "photo" if total == 1 else "photos"
        if not self.model.has_loaded:
            self.header.subtitle.setText("Loading…")
        elif names:
            self.header.subtitle.setText(f"{total:,} {noun} with {' and '.join(names)}")
        else:
            self.header.subtitle.setText(f"{total:,} {noun}, by date taken")
        self.clear_button.setVisible(bool(names))
        self.people_button.setText(f"&People ({len(names)})" if names else "&People")
        if self.importing:
            self.empty.title.setText("Importing photos…")
            self.empty.text.setText("Photos appear here as they are imported.")
        else:
            self.empty.title.setText("No photos yet")
            self.empty.text.setText("Drag folders of photos onto this window, or choose File ▸ Add Folder.")
        self.empty.button.setVisible(not self.importing)
        self.stack.setCurrentWidget(self.view if total or names or not self.model.has_loaded else self.empty)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid() and roles.get(index, roles.LOADED):
            self.photoRequested.emit(roles.get(index, roles.ID), index.row())
