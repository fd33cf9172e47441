"""The library's roots in Settings: each root (a folder photo paths are relative to), its photos and
where it is on this computer; "Locate…" maps a root to a folder here (core.library.roots). The
mapping is this computer's (a file in the user's config folder), never written into the library."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from app.store import LibraryStore
from core.safetext import printable

NOT_MAPPED = "not mapped on this computer"


class RootsPanel(QWidget):
    mapped = Signal(str)  # the root's name, once mapped here

    def __init__(self, store: LibraryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.roots: list[Any] = []
        self.list = QTreeWidget()
        self.list.setAccessibleName("Library roots")
        self.list.setHeaderLabels(["Root", "Photos", "On this computer"])
        self.list.setRootIsDecorated(False)
        self.list.setMaximumHeight(120)
        self.list.itemSelectionChanged.connect(self._selected)
        self.locate = QPushButton("L&ocate…")
        self.locate.setToolTip("Choose the folder where this root is on this computer "
                               "(e.g. where the share is mounted)")
        self.locate.setEnabled(False)
        self.locate.clicked.connect(self._choose)
        self.message = QLabel("")
        self.message.setObjectName("pageSubtitle")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.locate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        library = self.store.library
        if library is None:
            self._show([])
            self.message.setText("Open a library to see its roots.")
            return

        def work() -> list[Any]:
            from core.library.roots import root_statuses

            with library.session() as session:
                return root_statuses(session)

        self.store.runner.submit(work, name="library roots", on_done=self._show,
                                 on_error=self._failed_to_read)

    def _failed_to_read(self, exc: BaseException) -> None:
        self.message.setText(f"Cannot read the roots: {str(exc).splitlines()[0] if str(exc) else exc!r}")

    def _show(self, roots: list[Any]) -> None:
        self.roots = roots
        self.list.clear()
        for r in roots:
            here = printable(r.here) if r.here is not None else NOT_MAPPED
            item = QTreeWidgetItem([printable(r.name), f"{r.photos:,}", here])
            item.setToolTip(2, here if r.here is not None else
                            f"Recorded at {printable(r.recorded or '?')}; choose Locate… to say where it is here")
            self.list.addTopLevelItem(item)
        missing = [r.name for r in roots if r.here is None]
        self.message.setText(f"Not mapped on this computer: {', '.join(missing)}. Select one and choose Locate…"
                             if missing else ("" if roots else "No roots yet: an import makes one per folder."))
        self._selected()

    def _selected(self) -> None:
        self.locate.setEnabled(self.store.library is not None and bool(self.list.selectedItems()))

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        row = self.list.indexOfTopLevelItem(item) if item is not None else -1
        return self.roots[row].name if 0 <= row < len(self.roots) else None

    def _choose(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        folder = QFileDialog.getExistingDirectory(self, f"Where is the root '{name}' on this computer?")
        if folder:
            self.map(name, folder)

    def map(self, name: str, folder: str) -> None:
        """Map root ``name`` to ``folder`` here (worker thread); a refusal shows as one line."""
        library = self.store.library
        if library is None:
            return

        def work() -> list[Any]:
            from core.library.roots import map_root, root_statuses

            with library.session() as session:
                map_root(session, name, folder, label=str(library.path))
                return root_statuses(session)

        def done(roots: list[Any]) -> None:
            if not Shiboken.isValid(self):  # Settings closed meanwhile: the mapping is saved all the same
                return
            self._show(roots)
            self.mapped.emit(name)

        def failed(exc: BaseException) -> None:
            if not Shiboken.isValid(self):
                return
            box = QMessageBox(QMessageBox.Icon.Warning, "Library root", str(exc).splitlines()[0] if str(exc) else
                              type(exc).__name__, QMessageBox.StandardButton.Ok, self)
            box.setObjectName("rootMapFailed")
            box.open()
            self.failure = box

        self.store.runner.submit(work, name="map root", on_done=done, on_error=failed)
