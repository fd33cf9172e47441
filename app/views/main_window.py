"""The main window: sidebar, pages, status bar, menus, and folders dropped anywhere on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QStackedWidget, QWidget

from app.context import AppContext
from app.itemmodels.cards import CardsModel
from app.itemmodels.faces import FacesModel
from app.itemmodels.photos import PhotosModel
from app.operations import Operations
from app.views.cards_page import CardsPage
from app.views.detail_page import DetailPage
from app.views.folders_page import FoldersPage
from app.views.import_status import ImportStatusWidget
from app.views.menus import build_menus
from app.views.pages import Pages
from app.views.photos_page import PhotosPage
from app.views.review_page import ReviewPage
from app.views.sidebar import Sidebar
from app.views.viewer_page import ViewerPage
from app.views.window_commands import WindowCommands


class MainWindow(WindowCommands, QMainWindow):
    """FaceNet Organizer's window."""

    libraryReady = Signal()  # the library is open and the first page has its rows

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("FaceNet Organizer")
        self.setWindowIcon(ctx.theme.accent_icon("app"))
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.setMinimumSize(QSize(900, 560))
        self.ops = Operations(ctx.store, ctx.undo, self)
        self.people_model = CardsModel("person", ctx.store, ctx.thumbs, self)
        self.groups_model = CardsModel("cluster", ctx.store, ctx.thumbs, self)
        self.photos_model = PhotosModel(ctx.store, ctx.thumbs, self)
        self.faces_model = FacesModel(ctx.store, ctx.thumbs, self)
        self.sidebar = Sidebar(ctx.theme)  # first in the Tab order, then the page's tools and grid
        self.pages = Pages(
            people=CardsPage("person", self.people_model, self.ops, ctx.theme),
            groups=CardsPage("cluster", self.groups_model, self.ops, ctx.theme),
            review=ReviewPage(self.ops, ctx.thumbs, ctx.theme),
            photos=PhotosPage(self.photos_model, self.ops, ctx.theme),
            folders=FoldersPage(ctx.theme),
            detail=DetailPage(self.faces_model, self.ops, ctx.theme),
            viewer=ViewerPage(self.ops, ctx.theme),
        )
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.import_status = ImportStatusWidget(ctx.imports, ctx.theme)
        self.counts = QLabel("Opening library…")
        self.counts.setAccessibleName("Library summary")
        self.statusBar().addWidget(self.import_status, 1)
        self.statusBar().addPermanentWidget(self.counts)
        self.history: list[str] = []
        self.actions_by_name = build_menus(self)
        self._connect()
        geometry = ctx.settings.q.value("window/geometry", b"")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(geometry)
        self.sidebar.select("people")

    def _connect(self) -> None:
        ctx, p = self.ctx, self.pages
        self.sidebar.list.currentRowChanged.connect(lambda _r: self.show_page(self.sidebar.current()))
        ctx.store.opened.connect(self._opened)
        ctx.store.openFailed.connect(lambda text: self.counts.setText(f"Cannot open the library: {text}"))
        ctx.store.changed.connect(self.refresh)
        self.ops.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        for cards in (p.people, p.groups):
            cards.openRequested.connect(self.open_owner)
            cards.addFolderRequested.connect(self.choose_folder)
        p.people.showGroupsRequested.connect(lambda: self.show_page("groups"))
        p.photos.photoRequested.connect(self._open_from_photos)
        p.photos.addFolderRequested.connect(self.choose_folder)
        p.detail.backRequested.connect(self.go_back)
        p.detail.photoRequested.connect(self._open_from_detail)
        p.viewer.backRequested.connect(self.go_back)
        p.viewer.personRequested.connect(self.open_owner)
        folders = p.folders
        folders.addRequested.connect(self.choose_folder)
        folders.importRequested.connect(lambda paths: self.import_paths([Path(x) for x in paths]))
        folders.removeRequested.connect(self._forget_folder)
        folders.reportRequested.connect(self.show_report)
        self.import_status.report_button.clicked.connect(self.show_report)
        self.people_model.loaded.connect(self._maybe_ready)

    # -- library -------------------------------------------------------------------------------

    def open_library(self, path: Path) -> None:
        """Open a library in the background; pages fill in when it is ready."""
        self.counts.setText("Opening library…")
        self.ctx.store.open(path)

    def _opened(self, path: str) -> None:
        locked = " (read-only: open in another window)" if self.ctx.store.read_only else ""
        self.setWindowTitle(f"FaceNet Organizer — {Path(path).stem}{locked}")
        self.pages.folders.set_folders(self.ctx.settings.folders(Path(path)))
        self.refresh(all_pages=True)
        if self.ctx.imports.queue:
            self.ctx.imports.start(self.ctx.imports.queue.pop(0))

    def _maybe_ready(self) -> None:
        if not getattr(self, "_ready_sent", False):
            self._ready_sent = True
            self.libraryReady.emit()

    def refresh(self, all_pages: bool = False) -> None:
        """Reload what the library shows (after any change)."""
        if not self.ctx.store.is_open:
            return
        self.people_model.reload()
        self.groups_model.reload()
        current = self.current_page()
        if all_pages or current == "photos" or self.photos_model.has_loaded:
            self.photos_model.reload()
        if all_pages:  # the Review page reloads when shown and when its queue runs out
            self.pages.review.reload()
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        def fetch(session: Any) -> Any:
            from core.library.queries import status

            return status(session)

        self.ctx.store.read(fetch, self._counts_arrived, name="status")

    def _counts_arrived(self, s: Any) -> None:
        for key, value in (("people", s.people), ("groups", s.clusters), ("review", s.review_items),
                           ("photos", s.photos_total)):
            self.sidebar.set_count(key, value)
        self.sidebar.list.viewport().update()
        self.counts.setText(f"{s.photos_total:,} photos · {s.faces:,} faces · {s.people:,} people")

    # -- navigation ------------------------------------------------------------------------------

    def current_page(self) -> str:
        widget = self.stack.currentWidget()
        return next((k for k, w in self.pages.items() if w is widget), "")

    def show_page(self, key: str, remember: bool = True) -> None:
        if key not in self.pages or key == self.current_page():
            return
        if remember and self.current_page():
            self.history.append(self.current_page())
            del self.history[:-20]
        self.stack.setCurrentWidget(self.pages[key])
        if key in dict.fromkeys(self.sidebar.keys()):
            self.sidebar.list.blockSignals(True)
            self.sidebar.select(key)
            self.sidebar.list.blockSignals(False)
        if key == "review" and self.ctx.store.is_open:
            self.pages.review.reload()
        if key == "photos" and not self.photos_model.has_loaded and self.ctx.store.is_open:
            self.photos_model.reload()
        page = self.pages[key]
        view = getattr(page, "view", None)
        (view or page).setFocus()

    def go_back(self) -> None:
        if self.history:
            self.show_page(self.history.pop(), remember=False)
        else:
            self.show_page("people", remember=False)

    def open_owner(self, kind: str, owner_id: int, title: str) -> None:
        self.pages.detail.show_owner(kind, owner_id, title)
        self.show_page("detail")

    def _open_from_photos(self, photo_id: int, row: int) -> None:
        state = {"row": row}

        def neighbour(step: int) -> tuple[int, str] | None:
            info = self.photos_model.photo(state["row"] + step)
            if info is None:
                return None
            state["row"] += step
            return info.id, info.path

        info = self.photos_model.photo(row)
        if info is not None:
            self.pages.viewer.show_photo(photo_id, info.path, neighbour)
            self.show_page("viewer")

    def _open_from_detail(self, photo_id: int, face_id: int) -> None:
        rows = [self.faces_model.face(r) for r in range(self.faces_model.rowCount())]
        state = {"row": next((i for i, f in enumerate(rows) if f.id == face_id), 0)}

        def neighbour(step: int) -> tuple[int, str] | None:
            row = state["row"] + step
            if not 0 <= row < self.faces_model.rowCount():
                return None
            state["row"] = row
            face = self.faces_model.face(row)
            return face.photo_id, face.photo_path

        face = rows[state["row"]]
        self.pages.viewer.show_photo(photo_id, face.photo_path, neighbour)
        self.show_page("viewer")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ctx.settings.q.setValue("window/geometry", self.saveGeometry())
        self.ctx.shutdown()
        super().closeEvent(event)

