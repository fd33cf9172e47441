"""The main window: sidebar, pages, status bar, menus, and folders dropped anywhere on it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSize, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMessageBox, QStackedWidget, QWidget

from app.context import AppContext
from app.itemmodels.cards import CardsModel
from app.itemmodels.faces import FacesModel
from app.itemmodels.photos import PhotosModel
from app.operations import Operations
from app.recognizer import NamedRecognizer
from app.views.cards_page import CardsPage
from app.views.detail_page import DetailPage
from app.views.folders_page import FoldersPage
from app.views.import_status import ImportStatusWidget
from app.views.menus import build_menus
from app.views.pages import Pages
from app.views.photos_page import PhotosPage
from app.views.review_page import ReviewPage
from app.views.sidebar import Sidebar
from app.views.unknown_page import UnknownFacesPage
from app.views.viewer_page import ViewerPage
from app.views.widgets import count, tool_button
from app.views.window_commands import WindowCommands

if TYPE_CHECKING:
    from core.storage.postgres import DatabaseLocation

IMPORT_REFRESH_S = 1.0  # while an import commits photos, how often the pages show the new ones
FOLDERS_DELAY_MS = 250  # the folder tree is made once the Folders page stays shown this long


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
        self.setMinimumSize(QSize(800, 560))  # the layout holds from 800 x 600 to 2560 x 1440
        self.ops = Operations(ctx.store, ctx.undo, self)
        self.recognizer = NamedRecognizer(ctx.store, self)
        self.people_model = CardsModel("person", ctx.store, ctx.thumbs, self)
        self.groups_model = CardsModel("cluster", ctx.store, ctx.thumbs, self)
        self.photos_model = PhotosModel(ctx.store, ctx.thumbs, self)
        self.folder_photos_model = PhotosModel(ctx.store, ctx.thumbs, self)  # the Folders page's opened folder
        self.person_photos_model = PhotosModel(ctx.store, ctx.thumbs, self)  # a person's photos, by date
        self.faces_model = FacesModel(ctx.store, ctx.thumbs, self)
        self.unknown_model = FacesModel(ctx.store, ctx.thumbs, self)
        self.sidebar = Sidebar(ctx.theme)  # first in the Tab order, then the page's tools and grid
        self.pages = Pages(
            people=CardsPage("person", self.people_model, self.ops, ctx.theme),
            groups=CardsPage("cluster", self.groups_model, self.ops, ctx.theme),
            review=ReviewPage(self.ops, ctx.thumbs, ctx.theme),
            unknown=UnknownFacesPage(self.unknown_model, self.ops, ctx.theme),
            photos=PhotosPage(self.photos_model, self.ops, ctx.theme),
            folders=FoldersPage(ctx.theme, self.folder_photos_model),
            detail=DetailPage(self.faces_model, self.ops, ctx.theme, photos=self.person_photos_model),
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
        self._folders_stale = True
        self.actions_by_name = build_menus(self)
        same = tool_button("&Look-alikes", ctx.theme.icon("merge"),
                           "Are these the same person? Groups and people that look alike")
        same.clicked.connect(self.show_merge_suggestions)
        self.pages.groups.header.add(same)
        self._connect()
        geometry = ctx.settings.q.value("window/geometry", b"")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(geometry)
        self._fit_screen()
        self.sidebar.select("people")

    def _fit_screen(self) -> None:
        """No bigger than the screen's free area: the default 1280 x 800 on a 1366 x 768 laptop, or
        a size saved on a bigger monitor, would otherwise run off the screen."""
        screen = self.screen()
        if screen is None:
            return
        fitted = self.size().boundedTo(screen.availableGeometry().size()).expandedTo(self.minimumSize())
        if fitted != self.size():
            self.resize(fitted)

    def _open_failed(self, text: str) -> None:
        """The library cannot be used: the same one line as the command line, in a dialog."""
        self.counts.setText(f"Cannot open the library: {text}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open the library", text, QMessageBox.StandardButton.Ok,
                          self)
        box.setObjectName("libraryOpenFailed")
        box.open()  # window-modal, not blocking

    def _connect(self) -> None:
        ctx, p = self.ctx, self.pages
        self.sidebar.list.currentRowChanged.connect(lambda _r: self.show_page(self.sidebar.current()))
        ctx.store.opened.connect(self._opened)
        ctx.store.openFailed.connect(self._open_failed)
        ctx.store.changed.connect(self.refresh)
        self.ops.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.ops.personNamed.connect(self.recognizer.person_named)
        self.recognizer.finished.connect(self._recognized)
        for cards in (p.people, p.groups):
            cards.openRequested.connect(self.open_owner)
            cards.addFolderRequested.connect(self.choose_folder)
        p.people.showGroupsRequested.connect(lambda: self.show_page("groups"))
        p.photos.photoRequested.connect(lambda photo, row: self._open_from_photos(photo, row, self.photos_model))
        p.folders.photoRequested.connect(
            lambda photo, row: self._open_from_photos(photo, row, self.folder_photos_model))
        p.photos.addFolderRequested.connect(self.choose_folder)
        p.detail.backRequested.connect(self.go_back)
        p.review.photoRequested.connect(self._open_one_photo)
        p.detail.photoOpened.connect(
            lambda photo, row: self._open_from_photos(photo, row, self.person_photos_model))
        p.detail.photoRequested.connect(lambda photo, face: self._open_from_detail(photo, face, self.faces_model))
        p.unknown.photoRequested.connect(
            lambda photo, face: self._open_from_detail(photo, face, self.unknown_model))
        p.viewer.backRequested.connect(self.go_back)
        p.viewer.personRequested.connect(self.open_owner)
        folders = p.folders
        folders.addRequested.connect(self.choose_folder)
        folders.importRequested.connect(lambda paths: self.import_paths([Path(x) for x in paths]))
        folders.removeRequested.connect(self._forget_folder)
        folders.reportRequested.connect(self.show_report)
        self.import_status.report_button.clicked.connect(self.show_report)
        self.people_model.loaded.connect(self._maybe_ready)
        ctx.imports.committed.connect(self._import_committed)  # photos appear as they are stored
        self._import_refresh = QTimer(self)
        self._import_refresh.setSingleShot(True)
        self._import_refresh.timeout.connect(self._show_imported)
        self._last_import_refresh = 0.0
        ctx.imports.started.connect(lambda _p: p["photos"].set_importing(True))  # type: ignore[attr-defined]
        ctx.imports.finished.connect(lambda _o: p["photos"].set_importing(False))  # type: ignore[attr-defined]
        ctx.imports.failed.connect(lambda _t: p["photos"].set_importing(False))  # type: ignore[attr-defined]

    # -- library -------------------------------------------------------------------------------

    def open_library(self, path: Path | str | DatabaseLocation) -> None:
        """Open a library in the background; pages fill in when it is ready."""
        self.counts.setText("Opening library…")
        self.ctx.store.open(path)

    def _opened(self, path: str) -> None:
        locked = " (read-only: open in another window)" if self.ctx.store.read_only else ""
        library = self.ctx.store.library
        where = library.path if library is not None else Path(path)  # a URL: its DatabaseLocation, not a Path
        title = where.stem if isinstance(where, Path) else where.name  # a database: its name
        self.setWindowTitle(f"{title}{locked}")  # Qt adds " — FaceNet Organizer" (display name)
        self.pages.folders.set_folders(self.ctx.settings.folders(where))
        self.refresh(all_pages=True)
        self.ctx.store.read(_unmapped_roots, self._show_unmapped, name="unmapped roots")
        if self.ctx.imports.queue:
            self.ctx.imports.start(self.ctx.imports.queue.pop(0))

    def _show_unmapped(self, lines: list[str]) -> None:
        """A library root not mapped on this computer: one line in the status bar (Settings → Roots maps it)."""
        if lines:
            more = f" (and {len(lines) - 1} more: Settings → Roots)" if len(lines) > 1 else " (Settings → Roots)"
            self.statusBar().showMessage(lines[0] + more)

    def _import_committed(self, _count: int) -> None:
        """At most one refresh per IMPORT_REFRESH_S while an import commits (the first at once)."""
        if self._import_refresh.isActive():
            return
        wait = IMPORT_REFRESH_S - (time.monotonic() - self._last_import_refresh)
        self._import_refresh.start(max(0, round(wait * 1000)))

    def _show_imported(self) -> None:
        """Photos (and their faces) stored so far: the Photos grid grows where it is, the counts
        follow; the groups change when grouping ends (``store.changed``)."""
        if not self.ctx.store.is_open:
            return
        self._last_import_refresh = time.monotonic()
        if self.current_page() == "photos":  # elsewhere the grid reloads when the import ends
            self.photos_model.reload(keep_view=True)
        self._refresh_counts()

    def _recognized(self, result: Any) -> None:
        found, asked = len(result.recognized), len(result.suggested)
        if found or asked:
            names = ", ".join(self.ops.people.get(p, "") for p in result.person_ids)
            parts = [count(found, "more face", "more faces") + " recognised"] if found else []
            parts += [count(asked, "face", "faces") + " to review"] if asked else []
            self.statusBar().showMessage(f"{names}: " + "; ".join(parts), 6000)

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
        self._folders_stale = True  # the tree is made again when the Folders page is next shown
        if current == "folders":
            self._refresh_folders()
        self._refresh_counts()

    def _folders_if_shown(self) -> None:
        if self.current_page() == "folders" and self._folders_stale:
            self._refresh_folders()

    def _refresh_folders(self) -> None:
        page = self.pages.folders
        self._folders_stale = False

        def fetch(session: Any) -> Any:
            from core.library.folders import folder_tree, photo_folders

            folders = photo_folders(session)
            return len(folders), folder_tree(folders)

        self.ctx.store.read(fetch, page.set_photo_folders, name="folders")
        if page.opened:
            self.folder_photos_model.reload(keep_view=True)

    def _refresh_counts(self) -> None:
        def fetch(session: Any) -> Any:
            from core.library.queries import status

            return status(session)

        self.ctx.store.read(fetch, self._counts_arrived, name="status")

    def _counts_arrived(self, s: Any) -> None:
        for key, value in (("people", s.people), ("groups", s.clusters), ("review", s.review_items),
                           ("unknown", s.unassigned), ("photos", s.photos_total)):
            self.sidebar.set_count(key, value)
        self.sidebar.list.viewport().update()
        self.counts.setText(" · ".join(count(n, one, many) for n, one, many in (
            (s.photos_total, "photo", "photos"), (s.faces, "face", "faces"), (s.people, "person", "people"))))

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
        if key == "folders" and self.ctx.store.is_open and self._folders_stale:  # not for a page flicked past
            QTimer.singleShot(FOLDERS_DELAY_MS, self._folders_if_shown)
        if key == "unknown" and self.ctx.store.is_open:
            self.pages.unknown.show_owner()
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

    def _open_from_photos(self, photo_id: int, row: int, model: PhotosModel | None = None) -> None:
        model = self.photos_model if model is None else model
        state = {"row": row}

        def neighbour(step: int) -> tuple[int, str] | None:
            info = model.photo(state["row"] + step)
            if info is None:
                return None
            state["row"] += step
            return info.id, info.path

        info = model.photo(row)
        if info is not None:
            self.pages.viewer.show_photo(photo_id, info.path, neighbour)
            self.show_page("viewer")

    def _open_one_photo(self, photo_id: int, path: str) -> None:
        self.pages.viewer.show_photo(photo_id, path, lambda _step: None)
        self.show_page("viewer")

    def _open_from_detail(self, photo_id: int, face_id: int, model: FacesModel | None = None) -> None:
        model = self.faces_model if model is None else model
        rows = [model.face(r) for r in range(model.rowCount())]
        state = {"row": next((i for i, f in enumerate(rows) if f.id == face_id), 0)}

        def neighbour(step: int) -> tuple[int, str] | None:
            row = state["row"] + step
            if not 0 <= row < model.rowCount():
                return None
            state["row"] = row
            face = model.face(row)
            return face.photo_id, face.photo_path

        face = rows[state["row"]]
        self.pages.viewer.show_photo(photo_id, face.photo_path, neighbour)
        self.show_page("viewer")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ctx.settings.q.setValue("window/geometry", self.saveGeometry())
        self.ctx.shutdown()
        super().closeEvent(event)


def _unmapped_roots(session: Any) -> list[str]:
    from core.library.roots import unmapped_messages

    return unmapped_messages(session)
