"""Settings: library location, detector, grouping strictness (with a preview of how many
groups it makes, computed on a worker thread), worker threads. Saved with QSettings."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import AppSettings
from app.store import LibraryStore
from app.views.widgets import combo_box, link_form_labels
from core.clustering.strictness import STRICTNESS, Strictness
from core.detection import DETECTOR_NAMES, DetectorName

DETECTOR_LABELS: dict[str, str] = {DetectorName.YUNET: "YuNet (fast)", DetectorName.MTCNN: "MTCNN (more small faces)"}
STRICTNESS_LABELS: dict[str, str] = {Strictness.STRICT: "&Strict: more, smaller groups", Strictness.NORMAL: "No&rmal",
                     Strictness.LOOSE: "&Loose: fewer, bigger groups"}


class SettingsDialog(QDialog):
    """Edits :class:`AppSettings`; :meth:`save` writes them back."""

    def __init__(self, settings: AppSettings, store: LibraryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings, self.store = settings, store
        self.library = QLineEdit(str(settings.library_path))
        self.library.setAccessibleName("Library location")
        self.library.setToolTip(str(settings.library_path))
        wanted = self.library.fontMetrics().horizontalAdvance(self.library.text()) + 24
        self.library.setMinimumWidth(max(320, min(wanted, 720)))  # the whole path, up to a wide dialog
        self.library.textChanged.connect(self.library.setToolTip)
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.library, 1)
        row.addWidget(browse)
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
        form.addRow("&Face detector:", self.detector)
        form.addRow("&Grouping:", column)
        form.addRow("&Worker threads:", self.threads)
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
        if generation != self._generation:
            return
        if count is None:
            self.preview.setText("The number of groups is shown once grouping is available."
                                 if isinstance(error, ImportError) else f"Could not count groups: {error}")
        else:
            self.preview.setText(f"With this setting: {count:,} group{'s' if count != 1 else ''}")

    def save(self) -> dict[str, bool]:
        """Persist; says what changed ("library", "strictness", "detector", "threads")."""
        s = self.settings
        changed = {"library": self.library.text().strip() != str(s.library_path),
                   "strictness": self.chosen_strictness() != s.strictness,
                   "detector": self.detector.currentData() != s.detector,
                   "threads": self.threads.value() != s.threads}
        if self.library.text().strip():
            from pathlib import Path

            s.library_path = Path(self.library.text().strip())
        s.strictness = self.chosen_strictness()
        s.detector = str(self.detector.currentData())
        s.threads = self.threads.value()
        return changed
