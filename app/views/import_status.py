"""The status bar's import area: progress (files, faces, rate, ETA), Cancel, and the
outcome with a link to the report of files that could not be read."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from app.importing import ImportController, ImportOutcome, ImportStatus
from app.theme import Theme
from app.views.widgets import tool_button


def format_eta(seconds: float | None) -> str:
    """"about 3 min left" style, or "" when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60:02d} min left"


def describe(status: ImportStatus) -> str:
    """One line for the status bar."""
    if status.phase == "group":  # the core's step ("recognising faces", "saving groups"), said once
        step = status.message.strip()
        return "Grouping faces…" if step.casefold() in ("", "grouping faces") else f"Grouping faces… {step}"
    if status.total is None or (status.total == 0 and status.done == 0):
        return f"Looking for photos… {status.message}".strip()
    parts = [f"Importing {status.done:,} of {status.total:,} photos", f"{status.faces:,} faces"]
    if math.isfinite(status.rate) and status.rate > 0:
        parts.append(f"{status.rate:.1f} photos/s")
    eta = format_eta(status.eta_s)
    if eta:
        parts.append(eta)
    return " · ".join(parts)


def summarize(outcome: ImportOutcome) -> str:
    """What the finished job did, in one line."""
    report = outcome.report
    if outcome.cancelled:
        done = getattr(report, "files_done", None)
        return "Import cancelled" + (f" after {done:,} photos — add the folder again to resume" if done else
                                     " — add the folder again to resume")
    if report is None:
        return "Faces grouped again"
    text = f"Imported {report.photos_new:,} new photos with {report.faces_new:,} faces"
    if outcome.grouping_error:
        text += " (not grouped: " + outcome.grouping_error + ")"
    elif outcome.grouping_cancelled:
        text += " — grouping cancelled: People › Group Faces Again groups them"
    return text


class ImportStatusWidget(QWidget):
    """Shown in the status bar while a job runs and after it finished."""

    def __init__(self, imports: ImportController, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.imports = imports
        self.label = QLabel("")
        self.label.setAccessibleName("Import status")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Import progress")
        self.bar.setFixedWidth(200)
        self.cancel_button = tool_button("Cancel", theme.icon("cancel"), "Stop importing (what is done is kept)")
        self.report_button = tool_button("Show Problems", theme.icon("report"),
                                         "Files that could not be imported")
        self.dismiss_button = tool_button("", theme.icon("close"), "Hide this message")
        self.dismiss_button.setAccessibleName("Hide import message")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(6)
        for w in (self.label, self.bar, self.cancel_button, self.report_button, self.dismiss_button):
            layout.addWidget(w)
        self.cancel_button.clicked.connect(imports.cancel)
        self.dismiss_button.clicked.connect(self.hide)
        imports.started.connect(self._started)
        imports.progress.connect(self.show_status)
        imports.finished.connect(self._finished)
        imports.failed.connect(self._failed)
        self.hide()

    def _started(self, _paths: list[str]) -> None:
        self.show_status(ImportStatus("import"))

    def show_status(self, status: ImportStatus) -> None:
        self.show()
        self.label.setText(describe(status))
        if status.total and status.phase == "import":
            self.bar.setRange(0, status.total)
            self.bar.setValue(min(status.done, status.total))
        else:
            self.bar.setRange(0, 0)  # busy
        self.bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.report_button.hide()
        self.dismiss_button.hide()

    def _finished(self, outcome: ImportOutcome) -> None:
        self.label.setText(summarize(outcome))
        self.bar.hide()
        self.cancel_button.hide()
        problems = len(outcome.errors)
        self.report_button.setText(f"{problems} Problem{'s' if problems != 1 else ''}…")
        self.report_button.setVisible(problems > 0)
        self.dismiss_button.show()
        self.show()

    def _failed(self, text: str) -> None:
        self.label.setText(f"Import failed: {text}")
        self.bar.hide()
        self.cancel_button.hide()
        self.dismiss_button.show()
        self.show()
