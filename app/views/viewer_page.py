"""The photo viewer page: the photo with named face boxes; click a box to name or correct
it; draw a box around a face the detector missed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.operations import Operations
from app.theme import Theme
from app.thumbnails import rgb_to_qimage
from app.views.page_header import PageHeader
from app.views.photo_scene import PhotoCanvas
from app.views.widgets import ask_name, header_page, tool_button
from core.safetext import printable

if TYPE_CHECKING:
    from core.library.queries import FaceInfo

VIEW_MAX_SIDE = 2560
# (photo id, path) of the photo ``step`` away from the current one, or None at the ends.
Neighbour = Callable[[int], tuple[int, str] | None]


def load_for_viewer(path: str) -> tuple[QImage, float, tuple[int, int]]:
    """Decode a photo for display (worker thread): image, scale, original (w, h)."""
    from core.imaging.loader import load_image

    loaded = load_image(path, max_side=VIEW_MAX_SIDE)
    return rgb_to_qimage(loaded.rgb), loaded.scale, (loaded.original_width, loaded.original_height)


class ViewerPage(QWidget):
    """One photo at a time; Left / Right step through the list it was opened from."""

    backRequested = Signal()
    personRequested = Signal(str, int, str)

    def __init__(self, ops: Operations, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self.theme, self.store = ops, theme, ops.store
        self.photo_id: int | None = None
        self.path = ""
        self.faces: list[FaceInfo] = []
        self.neighbour: Neighbour | None = None
        self._generation = 0
        self.header = PageHeader("")
        self.back = tool_button("", theme.icon("back"), "Back (Esc)")
        self.back.setAccessibleName("Back")
        self.header.leading.addWidget(self.back)
        self.prev_button = tool_button("", theme.icon("back"), "Previous photo (Left)")
        self.prev_button.setAccessibleName("Previous photo")
        self.next_button = tool_button("", theme.icon("forward"), "Next photo (Right)")
        self.next_button.setAccessibleName("Next photo")
        self.draw_button = tool_button("&Add Face", theme.icon("face-add"),
                                       "Draw a box around a face that was missed (A)", checkable=True)
        for w in (self.draw_button, self.prev_button, self.next_button):
            self.header.add(w)
        self.canvas = PhotoCanvas()
        header_page(self, self.header, self.canvas)
        self.back.clicked.connect(self.backRequested)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.draw_button.toggled.connect(self.canvas.set_drawing)
        self.canvas.faceClicked.connect(self._face_menu)
        self.canvas.boxDrawn.connect(self.add_face)
        self.store.changed.connect(self._changed)
        for keys, slot in ((QKeySequence(Qt.Key.Key_Left), lambda: self.step(-1)),
                           (QKeySequence(Qt.Key.Key_Right), lambda: self.step(1)),
                           (QKeySequence(Qt.Key.Key_A), self.draw_button.toggle),
                           (QKeySequence(Qt.Key.Key_Escape), self._escape)):
            action = QAction(self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def show_photo(self, photo_id: int, path: str, neighbour: Neighbour | None = None) -> None:
        """Load and show a photo and its faces."""
        self.photo_id, self.path = photo_id, path
        if neighbour is not None:
            self.neighbour = neighbour
        self._generation += 1
        generation = self._generation
        self.header.title.setText(printable(Path(path).name))
        self.header.subtitle.setText("Loading…")
        self.canvas.clear()
        self.draw_button.setChecked(False)
        self.prev_button.setEnabled(self.neighbour is not None)
        self.next_button.setEnabled(self.neighbour is not None)
        self.store.runner.submit(lambda: load_for_viewer(path), name="load photo",
                                 on_done=lambda r: self._image(generation, r),
                                 on_error=lambda e: self._image_failed(generation, e))
        self.canvas.setFocus()

    def _image(self, generation: int, result: tuple[QImage, float, tuple[int, int]]) -> None:
        if generation == self._generation:
            self.canvas.set_photo(*result)
            self._load_faces()

    def _image_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.header.subtitle.setText(f"Cannot show this photo: {getattr(exc, 'reason', exc)}")

    def _load_faces(self) -> None:
        photo_id, generation = self.photo_id, self._generation

        def fetch(session: Any) -> list[FaceInfo]:
            from core.library.queries import faces_of_photo

            return [] if photo_id is None else faces_of_photo(session, photo_id)

        self.store.read(fetch, lambda faces: self._faces(generation, faces), name="photo faces")

    def _faces(self, generation: int, faces: list[FaceInfo]) -> None:
        if generation != self._generation:
            return
        self.faces = faces
        c = self.theme.colors
        self.canvas.set_faces(faces, {"named": c.box, "unnamed": "#ffffff", "ignored": "#8e8e93"})
        names = sorted({f.person_name for f in faces if f.person_name and not f.ignored})
        count = sum(1 for f in faces if not f.ignored)
        text = f"{count} face{'s' if count != 1 else ''}"
        self.header.subtitle.setText(text + (": " + ", ".join(names) if names else ""))

    def _changed(self) -> None:
        if self.isVisible() and self.photo_id is not None and self.canvas.pixmap_item is not None:
            self._load_faces()

    def step(self, delta: int) -> None:
        if self.neighbour is None:
            return
        found = self.neighbour(delta)
        if found is not None:
            self.show_photo(*found)

    def _escape(self) -> None:
        if self.draw_button.isChecked():
            self.draw_button.setChecked(False)
        else:
            self.backRequested.emit()

    def _face_menu(self, face: FaceInfo, where: QPointF) -> None:
        menu = QMenu(self)
        title = menu.addAction(face.person_name or "Unknown face")
        title.setEnabled(False)
        menu.addAction("Who Is This…" if not face.person_name else "Someone Else…",
                       lambda: self.ask_who(face))
        person_id = face.person_id
        if person_id is not None:
            menu.addAction(f"Not {face.person_name}", lambda: self.ops.not_this_person(person_id, [face.id]))
            menu.addAction(f"Show {face.person_name}",
                           lambda: self.personRequested.emit("person", face.person_id, face.person_name))
        menu.addAction("Stop Ignoring" if face.ignored else "Ignore This Face",
                       lambda: self.ops.ignore_faces([face.id], not face.ignored))
        menu.popup(where.toPoint())
        self.face_menu = menu

    def ask_who(self, face: FaceInfo) -> None:
        ask_name(self, "Who is this?", "Name of the person:", list(self.ops.people.values()),
                 lambda name: self.ops.move_faces([face.id], self.ops.person_named(name) or name))

    def add_face(self, rect: QRectF) -> None:
        """Embed a hand-drawn box (core add_manual_face) and recognise it, in the background."""
        self.draw_button.setChecked(False)
        photo_id, store = self.photo_id, self.store
        if photo_id is None or store.library is None:
            return
        box = (rect.x(), rect.y(), rect.width(), rect.height())
        library = store.library

        def work() -> int:
            from core.library.grouping import add_manual_face

            return add_manual_face(library, photo_id, box, store.pipeline())

        self.header.subtitle.setText("Adding the face…")
        self.store.runner.submit(work, pool="heavy", name="add face",
                                 on_done=lambda _fid: self.store.changed.emit(),
                                 on_error=lambda e: self.ops.message.emit(f"Could not add the face: {e}"))
