"""Settings: library location (a file, or a PostgreSQL URL whose password stays in a masked field),
where the library's roots are on this computer, detector, grouping strictness (with a preview of how many
groups it makes, computed on a worker thread), worker threads. Saved with QSettings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from app.settings import AppSettings, library_location
from app.store import LibraryStore
from app.views.roots_panel import RootsPanel
from app.views.widgets import combo_box, link_form_labels
from core.clustering.strictness import STRICTNESS, Strictness
from core.detection import DETECTOR_NAMES, DetectorName

DETECTOR_LABELS: dict[str, str] = {DetectorName.YUNET: "YuNet (fast)", DetectorName.MTCNN: "MTCNN (more small faces)"}
STRICTNESS_LABELS: dict[str, str] = {Strictness.STRICT: "&Strict: more, smaller groups", Strictness.NORMAL: "No&rmal",
                     Strictness.LOOSE: "&Loose: fewer, bigger groups"}


def _pg() -> Any:
    """core.storage.postgres, imported when a dialog needs it (it brings SQLAlchemy)."""
    from core.storage import postgres

    return postgres


class SettingsDialog(QDialog):
    """Edits :class:`AppSettings`; :meth:`save` writes them back."""

    def __init__(self, settings: AppSettings, store: LibraryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings, self.store = settings, store
        where = settings.library_path
        url = getattr(where, "url", None)  # a PostgreSQL library (DatabaseLocation)
        shown, password = _pg().split_password(url) if url else (str(where), None)
        self.library = QLineEdit(shown)  # a URL without its password: that one is in a masked field
        self.library.setAccessibleName("Library location")
        self.library.setPlaceholderText("library file, or postgresql://USER@HOST/DATABASE")
        self.library.setToolTip(shown)
        wanted = self.library.fontMetrics().horizontalAdvance(self.library.text()) + 24
        self.library.setMinimumWidth(max(320, min(wanted, 720)))  # the whole path, up to a wide dialog
        self.library.textChanged.connect(self._location_edited)
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.library, 1)
        row.addWidget(browse)
        self.password = QLineEdit(password or "")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Database password")
        self.password.setPlaceholderText("empty: PGPASSWORD or ~/.pgpass")
        self._location_edited(shown)
        self.roots = RootsPanel(store, self)
        self.detector = combo_box()
        for name in DETECTOR_NAMES:
            self.detector.addItem(DETECTOR_LABELS.get(name, name), name)
        self.detector.setCurrentIndex(max(0, DETECTOR_NAMES.index(settings.detector)))
        self.strictness = QButtonGroup(self)
        column = QVBoxLayout()
        for i, name in enumerate(STRICTNESS):
            button = QRadioButton(STRICTNESS_LABELS[name])
            button.setChecked(name == settings.strictness)
            self.strictness.addButton(button, i)
            column.addWidget(button)
        self.preview = QLabel("")
        self.preview.setObjectName("pageSubtitle")
        self.preview.setAccessibleName("Resulting number of groups")
        column.addWidget(self.preview)
        self.threads = QSpinBox()
        self.threads.setRange(0, max(1, os.cpu_count() or 1) * 2)
        self.threads.setSpecialValueText("Automatic")
        self.threads.setValue(settings.threads)
        self.threads.setAccessibleName("Worker threads")
        form = QFormLayout()
        form.addRow("&Library:", row)
        form.addRow("Pass&word:", self.password)
        form.addRow("&Roots:", self.roots)
        form.addRow("&Face detector:", self.detector)
        form.addRow("&Grouping:", column)
        form.addRow("&Worker threads:", self.threads)
        self.write_names = QCheckBox("Write names to photos (XMP sidecars digiKam, Lightroom and Windows read)")
        self.write_names.setChecked(settings.write_names)
        form.addRow("&Names:", self.write_names)
        link_form_labels(form)
        self.library_label = form.labelForField(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._preview)
        self.strictness.idToggled.connect(lambda _i, on: on and self._debounce.start())
        self._generation = 0
        self._preview()

    def _location_edited(self, text: str) -> None:
        bare, password = _pg().split_password(text)
        if password:  # a URL pasted with its password: the password moves to the masked field
            self.password.setText(password)
            self.library.setText(bare)
            return
        self.library.setToolTip(_pg().mask_url(text))
        self.password.setEnabled(_pg().is_database_url(text.strip()))

    def location(self) -> str:
        """What the fields name: a file path, or the URL with the password (never shown)."""
        text = self.library.text().strip()
        if _pg().is_database_url(text):
            return _pg().with_password(text, self.password.text())
        return text

    def problem(self) -> str | None:
        """Why the location cannot be used (one line, password masked), or None."""
        text = self.library.text().strip()
        if not text:
            return "choose a library file or enter a postgresql:// URL"
        pg = _pg()
        if pg.is_database_url(text):
            try:
                return pg.url_problem(self.location())
            except ValueError as exc:
                return str(exc)
        if "://" in text:
            return f"not a library file or a postgresql:// URL: {pg.mask_url(text)}"
        if Path(text).expanduser().is_dir():
            return f"{text} is a folder: choose a library file inside it"
        return None

    def accept(self) -> None:
        """OK: refuse (one line, in a message box) a location that cannot be a library."""
        problem = self.problem()
        if problem is not None:
            box = QMessageBox(QMessageBox.Icon.Warning, "Library location", problem, QMessageBox.StandardButton.Ok,
                              self)
            box.setObjectName("libraryLocationProblem")
            box.open()
            self.location_problem = box
            return
        super().accept()

    def chosen_strictness(self) -> str:
        return STRICTNESS[max(0, self.strictness.checkedId())]

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Library file", self.library.text(),
                                              "FaceNet Organizer library (*.sqlite)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.library.setText(path)

    def _preview(self) -> None:
        """Ask core how many groups this strictness gives (worker thread)."""
        strictness = self.chosen_strictness()
        library = self.store.library
        self._generation += 1
        generation = self._generation
        if library is None:
            self.preview.setText("")
            return
        self.preview.setText("Counting groups…")

        def work() -> int:
            from core.library.grouping import preview_group_count

            return preview_group_count(library, strictness)

        self.store.runner.submit(work, name="preview groups",
                                 on_done=lambda n: self._previewed(generation, n),
                                 on_error=lambda e: self._previewed(generation, None, e))

    def _previewed(self, generation: int, count: int | None, error: Any = None) -> None:
        if not Shiboken.isValid(self) or generation != self._generation:  # closed before the count came
            return
        if count is None:
            self.preview.setText("The number of groups is shown once grouping is available."
                                 if isinstance(error, ImportError) else f"Could not count groups: {error}")
        else:
            self.preview.setText(f"With this setting: {count:,} group{'s' if count != 1 else ''}")

    def save(self) -> dict[str, bool]:
        """Persist; says what changed ("library", "strictness", "detector", "threads")."""
        s = self.settings
        old = s.library_path
        changed = {"library": self.location() != (getattr(old, "url", None) or str(old)),
                   "strictness": self.chosen_strictness() != s.strictness,
                   "detector": self.detector.currentData() != s.detector,
                   "threads": self.threads.value() != s.threads,
                   "write_names": self.write_names.isChecked() != s.write_names}
        if self.library.text().strip() and self.problem() is None:
            s.library_path = library_location(self.location())
        s.strictness = self.chosen_strictness()
        s.detector = str(self.detector.currentData())
        s.threads = self.threads.value()
        s.write_names = self.write_names.isChecked()
        return changed
