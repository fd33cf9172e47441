"""The Train dialog: pick a mode (and a data folder), start, watch the loss curve and progress, cancel;
at the end the metrics before/after and "Use this model" (switch the library and re-embed its faces)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.store import LibraryStore
from app.training import TrainingController, TrainStatus
from app.views.train_texts import outcome_lines, plain_status
from app.views.widgets import combo_box, link_form_labels

if TYPE_CHECKING:
    from app.views.main_window import MainWindow
    from core.training.runs import RunOutcome

MODE_LABELS = {"personal": "Learn from the people you named (takes seconds)",
               "finetune": "Improve FaceNet with a folder of photos, one subfolder per person (slow without a GPU)",
               "scratch": "Research: train a small network from nothing on a public set of faces "
                          "(not for your library)"}


class LossCurve(QWidget):
    """A small line chart of the training loss, drawn with QPainter (QtCharts is optional)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, float]] = []
        self.setMinimumSize(360, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Training error curve")

    def clear(self) -> None:
        self.points = []
        self.update()

    def add(self, step: int, loss: float) -> None:
        if math.isfinite(loss) and (not self.points or step > self.points[-1][0]):
            self.points.append((step, loss))
            self.update()

    def set_losses(self, losses: list[float]) -> None:
        self.points = [(i + 1, v) for i, v in enumerate(losses) if math.isfinite(v)]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        area = QRectF(self.rect()).adjusted(40, 10, -10, -22)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(area)
        text = pal.color(QPalette.ColorRole.Text)
        painter.setPen(text)
        if len(self.points) < 2:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "The training error appears here (lower is better)")
            return
        x0, x1 = self.points[0][0], self.points[-1][0]
        top = max(v for _, v in self.points) or 1.0
        painter.drawText(QRectF(0, area.top() - 6, 36, 14), Qt.AlignmentFlag.AlignRight, f"{top:.2f}")
        painter.drawText(QRectF(0, area.bottom() - 8, 36, 14), Qt.AlignmentFlag.AlignRight, "0")
        painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 16),
                         Qt.AlignmentFlag.AlignHCenter, f"step {x0}–{x1}   error {self.points[-1][1]:.4f}")
        path = QPainterPath()
        for i, (s, v) in enumerate(self.points):
            p = QPointF(area.left() + area.width() * (s - x0) / max(1, x1 - x0),
                        area.bottom() - area.height() * max(0.0, v) / top)
            if i == 0:
                path.moveTo(p)
            else:
                path.lineTo(p)
        painter.setPen(QPen(QColor(pal.color(QPalette.ColorRole.Highlight)), 1.6))
        painter.drawPath(path)


class TrainDialog(QDialog):
    """Non-modal: training runs on the heavy worker thread through :class:`TrainingController`."""

    result: QLabel  # type: ignore[assignment]  # the result text (hides QDialog.result(), unused here)

    def __init__(self, store: LibraryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a Model")
        self.store = store
        self.controller = TrainingController(store, self)
        self.outcome: RunOutcome | None = None
        self.mode = combo_box()
        for key, text in MODE_LABELS.items():
            self.mode.addItem(text, key)
        self.data = QLineEdit()
        self.data.setPlaceholderText("A folder with one subfolder of photos per person")
        self.browse = QPushButton("&Browse…")
        row = QHBoxLayout()
        row.addWidget(self.data, 1)
        row.addWidget(self.browse)
        self.epochs = QSpinBox()
        self.epochs.setRange(0, 100_000)
        self.epochs.setSpecialValueText("Default")
        self.epochs.setToolTip("How many times the training goes over all the faces")
        form = QFormLayout()
        form.addRow("&Mode:", self.mode)
        form.addRow("&Data folder:", row)
        self.data_row = row
        form.addRow("&Rounds:", self.epochs)
        link_form_labels(form)
        self.form = form
        self.curve = LossCurve()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status = QLabel("Choose a mode and start.")
        self.status.setWordWrap(True)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("&Start")
        self.cancel_button = QPushButton("&Cancel")
        self.use_button = QPushButton("&Use this model")
        close = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.curve, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.result)
        layout.addLayout(buttons)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.browse.clicked.connect(self._browse)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.use_button.clicked.connect(self.use_model)
        close.clicked.connect(self.close)
        c = self.controller
        c.progress.connect(self._progress)
        c.finished.connect(self._finished)
        c.switched.connect(self._switched)
        c.cancelled.connect(lambda: self._stopped("Cancelled. Starting again resumes where it stopped."))
        c.failed.connect(lambda text: self._stopped(f"Failed: {text}"))
        self._mode_changed()
        self._set_running(False)
        self.resize(640, 520)

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))

    def _mode_changed(self) -> None:
        personal = self.mode.currentData() == "personal"  # learns from the library: no folder to choose
        self.data.setEnabled(not personal)
        self.browse.setEnabled(not personal)
        self.form.setRowVisible(self.data_row, not personal)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of people (one subfolder each)")
        if folder:
            self.data.setText(folder)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.mode.setEnabled(not running)
        self.use_button.setEnabled(not running and self._can_use())

    def _can_use(self) -> bool:
        o = self.outcome
        return bool(o is not None and o.model is not None and getattr(o.model, "usable", False)
                    and self.store.library is not None and not self.store.read_only)

    def start(self) -> None:
        mode = str(self.mode.currentData())
        data = Path(self.data.text()) if self.data.text().strip() else None
        self.outcome = None
        self.curve.clear()
        self.result.setText("")
        if not self.controller.start(mode, data, self.epochs.value() or None):
            self.status.setText("Open a library first." if mode == "personal" else
                                "Choose a data folder (one subfolder of photos per person).")
            return
        self.status.setText("Starting…")
        self.bar.setRange(0, 0)
        self._set_running(True)

    def _progress(self, s: TrainStatus) -> None:
        if s.total:
            self.bar.setRange(0, int(s.total))
            self.bar.setValue(min(int(s.done), int(s.total)))
        message = plain_status(s.message)
        text = f"{message}: {s.done:,} of {s.total:,}" if s.total else message
        if s.loss is not None:
            self.curve.add(s.done, s.loss)
            text += f" · error {s.loss:.4f}"
        self.status.setText(text)

    def _finished(self, o: RunOutcome) -> None:
        self.outcome = o
        self.curve.set_losses(o.losses)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.result.setText("\n".join(outcome_lines(o)))
        self.result.setToolTip(o.reason)  # the technical account, for those who want it
        self.status.setText("Done.")
        self._set_running(False)

    def use_model(self) -> None:
        if self.outcome is None or self.outcome.model is None or not self.controller.use(self.outcome.model):
            return
        self.status.setText("Switching the library to the new model…")
        self.bar.setRange(0, 0)
        self._set_running(True)

    def _switched(self, report: Any) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        name = self.outcome.model.name if self.outcome and self.outcome.model else report.model_id
        state = "now uses" if report.activated else "will use (some faces are still missing)"
        self.status.setText(f"The library {state} “{name}”: {report.embedded:,} faces updated "
                            f"({report.from_stored:,} without reading their photos again). People › Group "
                            f"Faces Again regroups with it.")
        self.outcome = None  # used: nothing more to switch to
        self._set_running(False)

    def _stopped(self, text: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status.setText(text)
        self._set_running(False)

    def closeEvent(self, event: Any) -> None:
        self.controller.cancel()
        super().closeEvent(event)


def open_train_dialog(window: MainWindow) -> TrainDialog:
    """Show the window's Train dialog (one per window; raised if already open)."""
    dialog = getattr(window, "train_dialog", None)
    if not isinstance(dialog, TrainDialog):
        dialog = TrainDialog(window.ctx.store, window)
        window.train_dialog = dialog  # type: ignore[attr-defined]
    dialog.show()
    dialog.raise_()
    return dialog
