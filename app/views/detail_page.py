"""One person's or group's faces: multi-select, "Not this person", "Move to…", ignore,
choose the cover, open the photo."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from app.itemmodels import roles
from app.itemmodels.faces import FacesModel
from app.itemmodels.photos import PhotosModel
from app.operations import Operations
from app.theme import Colors, Theme
from app.views.delegates import FaceDelegate, PhotoDelegate
from app.views.grid import GridView
from app.views.page_header import PageHeader
from app.views.timeline import TimelineView
from app.views.widgets import ask_name, header_page, tool_button


class DetailPage(QWidget):
    """Faces of ("person", id) or ("cluster", id)."""

    backRequested = Signal()
    photoRequested = Signal(int, int)  # photo id, face id
    photoOpened = Signal(int, int)  # photo id, row of :attr:`photos` (the person's photos, by date)

    def __init__(self, model: FacesModel, ops: Operations, theme: Theme, parent: QWidget | None = None,
                 photos: PhotosModel | None = None) -> None:
        super().__init__(parent)
        self.model, self.ops, self.theme, self.photos = model, ops, theme, photos
        self.kind, self.owner_id, self.title = "person", 0, ""
        self.header = PageHeader("")
        self.back = tool_button("", theme.icon("back"), "Back (Alt+Left)")
        self.back.setAccessibleName("Back")
        self.header.leading.addWidget(self.back)
        self.rename_button = tool_button("&Rename", theme.icon("people"), "Rename (F2)")
        self.not_button = tool_button("&Not This Person", theme.icon("not-person"),
                                      "The selected faces are not this person (Delete)")
        self.move_button = tool_button("&Move To…", theme.icon("move"), "Say who the selected faces are (M)")
        self.ignore_button = tool_button("&Ignore", theme.icon("ignore"),
                                         "Ignore the selected faces: not a face, or nobody to keep (I)")
        self.cover_button = tool_button("Use as &Cover", theme.icon("star"), "Show this face on the card")
        self.photo_button = tool_button("&Open Photo", theme.icon("open"), "Open the photo (Return)")
        self.photos_toggle = tool_button("P&hotos", theme.icon("photos"),
                                         "Their photos by date (not only the faces)", checkable=True)
        for w in (self.rename_button, self.not_button, self.move_button, self.ignore_button,
                  self.cover_button, self.photo_button, self.photos_toggle):
            self.header.add(w)
        self.photos_toggle.setVisible(photos is not None)
        self.view = GridView("facesView")
        self.view.setModel(model)
        self.delegate = FaceDelegate(theme.colors, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.set_cell(QSize(FaceDelegate.SIZE + 12, FaceDelegate.SIZE + 12), square=True)
        self.view.setAccessibleName("Faces")
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated.connect(self._open_photo)
        model.thumbs.ready.connect(self.view.schedule_repaint)
        header_page(self, self.header, self.view)
        self.photo_view: TimelineView | None = None
        if photos is not None:
            self.photo_view = TimelineView("photosView")
            self.photo_view.setModel(photos)
            self.photo_view.setItemDelegate(PhotoDelegate(theme.colors, self.photo_view))
            self.photo_view.set_cell(QSize(PhotoDelegate.SIZE, PhotoDelegate.SIZE), square=True)
            self.photo_view.setAccessibleName("Photos")
            self.photo_view.activated.connect(self._open_listed_photo)
            photos.thumbs.ready.connect(self.photo_view.schedule_repaint)
            photos.loaded.connect(self._update_state)
            self.photo_view.hide()
            layout = self.layout()
            if isinstance(layout, QVBoxLayout):
                layout.addWidget(self.photo_view, 1)
            self.photos_toggle.toggled.connect(self._show_photos)

        self.back.clicked.connect(self.backRequested)
        self.rename_button.clicked.connect(self.rename)
        self.not_button.clicked.connect(self.not_this_person)
        self.move_button.clicked.connect(self.move_to)
        self.ignore_button.clicked.connect(self.ignore)
        self.cover_button.clicked.connect(self.use_as_cover)
        self.photo_button.clicked.connect(lambda: self._open_photo(self.view.currentIndex()))
        self.view.selectionModel().selectionChanged.connect(self._update_state)
        model.modelReset.connect(self._update_state)
        model.loaded.connect(self._update_state)
        ops.store.changed.connect(self._changed)
        ops.namesChanged.connect(self._names_changed)
        theme.changed.connect(lambda: self._recolor(theme.colors))
        for keys, slot in ((QKeySequence(Qt.Key.Key_Delete), self.not_this_person),
                           (QKeySequence(Qt.Key.Key_Backspace), self.not_this_person),
                           (QKeySequence(Qt.Key.Key_M), self.move_to),
                           (QKeySequence(Qt.Key.Key_I), self.ignore),
                           (QKeySequence(Qt.Key.Key_Escape), self.backRequested.emit)):  # Alt+Left: View > Back
            action = QAction(self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def _recolor(self, colors: Colors) -> None:
        self.delegate.colors = colors
        self.view.update()

    def show_owner(self, kind: str, owner_id: int, title: str) -> None:
        """Show the faces of a person or a group."""
        self.kind, self.owner_id = kind, owner_id
        self.title = title if kind == "person" else "Unnamed group"
        self.header.title.setText(self.title)
        self.header.subtitle.setText("Loading…")
        self.model.set_owner(kind, owner_id)
        person = kind == "person"
        self.rename_button.setText("&Rename" if person else "&Name")
        self.rename_button.setToolTip("Rename (F2)" if person else "Name this group (F2)")
        self.not_button.setVisible(person)
        self.cover_button.setVisible(person)
        self.photos_toggle.setVisible(person and self.photos is not None)
        if self.photos_toggle.isChecked():
            self.photos_toggle.setChecked(False)
        self._update_state()
        self.view.setFocus()

    def _show_photos(self, on: bool) -> None:
        """The person's photos by date, with month headings, instead of their faces."""
        if self.photo_view is None or self.photos is None:
            return
        if on and self.kind == "person":
            self.photos.set_people([self.owner_id])
        self.photo_view.setVisible(on)
        self.view.setVisible(not on)
        for button in (self.not_button, self.move_button, self.ignore_button, self.cover_button, self.photo_button):
            button.setEnabled(not on and button.isEnabled())
        (self.photo_view if on else self.view).setFocus()
        self._update_state()

    def _open_listed_photo(self, index: QModelIndex) -> None:
        if index.isValid() and roles.get(index, roles.LOADED):
            self.photoOpened.emit(roles.get(index, roles.ID), index.row())

    def _names_changed(self) -> None:
        if self.kind == "person" and self.owner_id in self.ops.people:
            self.title = self.ops.people[self.owner_id]
            self.header.title.setText(self.title)

    def _changed(self) -> None:
        if self.isVisible():
            self.model.reload()

    def _update_state(self, *_args: object) -> None:
        if self.photos_toggle.isChecked() and self.photos is not None:
            n = self.photos.rowCount()
            self.header.subtitle.setText(f"{n:,} photo{'s' if n != 1 else ''}, by date")
            return
        n = self.model.rowCount()
        more = "+" if self.model.canFetchMore() else ""
        self.header.subtitle.setText(f"{n:,}{more} face{'s' if n != 1 else ''}")
        count = len(self.selected_faces())
        for button in (self.not_button, self.move_button, self.ignore_button):
            button.setEnabled(count > 0)
        self.cover_button.setEnabled(count == 1)
        self.photo_button.setEnabled(count == 1)

    def selected_faces(self) -> list[int]:
        return [self.model.face(r).id for r in self.view.selected_rows()]

    def _after_edit(self) -> None:
        self.view.clearSelection()

    def not_this_person(self) -> None:
        faces = self.selected_faces()
        if faces and self.kind == "person":
            self.ops.not_this_person(self.owner_id, faces)
            self._after_edit()

    def move_to(self) -> None:
        faces = self.selected_faces()
        if faces:
            self.ops.ask_move_faces(faces)

    def ignore(self) -> None:
        faces = self.selected_faces()
        if faces:
            self.ops.ignore_faces(faces)
            self._after_edit()

    def use_as_cover(self) -> None:
        faces = self.selected_faces()
        if len(faces) == 1 and self.kind == "person":
            self.ops.set_cover(self.owner_id, faces[0])

    def rename(self) -> None:
        if self.kind == "person":
            ask_name(self, "Rename", "New name:", [], lambda n: self.ops.rename_person(self.owner_id, n),
                     text=self.title)
        else:
            ask_name(self, "Name group", "Who is this?", list(self.ops.people.values()), self._named)

    def _named(self, name: str) -> None:
        self.ops.name_group(self.owner_id, name, done=lambda ref: self._became_person(ref))

    def _became_person(self, ref: object) -> None:
        person_id = getattr(ref, "id", None)
        if person_id is not None and self.kind == "cluster":
            self.show_owner("person", person_id, getattr(ref, "name", ""))

    def _open_photo(self, index: QModelIndex) -> None:
        if index.isValid():
            face = roles.get(index, roles.ITEM)
            self.photoRequested.emit(face.photo_id, face.id)

    def _context_menu(self, pos: QPoint) -> None:
        if not self.view.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.addAction("Open Photo", lambda: self._open_photo(self.view.currentIndex()))
        if self.kind == "person":
            menu.addAction("Not This Person", self.not_this_person)
            menu.addAction("Use as Cover", self.use_as_cover)
        menu.addAction("Move To…", self.move_to)
        menu.addAction("Ignore", self.ignore)
        menu.popup(self.view.viewport().mapToGlobal(pos))
