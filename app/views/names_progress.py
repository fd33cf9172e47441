"""File > Write Names to Photos: a progress dialog with Cancel over :class:`app.names_writer.NamesWriter`,
and the outcome in the status bar (and in a message box when some photos could not be written)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressDialog

MAX_LISTED = 10


def summary(report: Any) -> str:
    """One line for the status bar from a core ExportReport."""
    head = "Writing names cancelled" if report.cancelled else "Names written"
    text = (f"{head}: {report.written} file{'s' if report.written != 1 else ''} updated, "
            f"{report.unchanged} already up to date")
    return text + (f", {len(report.errors)} could not be written" if report.errors else "")


def run_names_writer(window: QMainWindow) -> QProgressDialog | None:
    """Start writing and show its progress; None when it could not start (nothing open, read-only,
    or already writing)."""
    writer = window.ctx.names_writer  # type: ignore[attr-defined]
    if not writer.start():
        window.statusBar().showMessage("Names cannot be written now (no writable library, or already writing)",
                                       4000)
        return None
    dialog = QProgressDialog("Writing names to photos…", "Cancel", 0, 0, window)
    dialog.setWindowTitle("Write Names to Photos")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    window.names_dialog = dialog  # type: ignore[attr-defined]

    def progress(p: Any) -> None:
        if p.total:
            dialog.setMaximum(int(p.total))
            dialog.setValue(int(p.done))
            dialog.setLabelText(f"Writing names to photos… {p.done} of {p.total}")

    def close() -> None:
        for signal, slot in connections:
            signal.disconnect(slot)
        dialog.close()
        dialog.deleteLater()

    def finished(report: Any) -> None:
        close()
        window.statusBar().showMessage(summary(report), 8000)
        if report.errors:
            lines = "\n".join(f"{p}: {r}" for p, r in report.errors[:MAX_LISTED])
            more = f"\n… and {len(report.errors) - MAX_LISTED} more" if len(report.errors) > MAX_LISTED else ""
            QMessageBox.warning(window, "Write Names to Photos", f"{summary(report)}.\n\n{lines}{more}")

    def failed(text: str) -> None:
        close()
        QMessageBox.warning(window, "Write Names to Photos", f"Names could not be written: {text}")

    def cancelled() -> None:
        close()
        window.statusBar().showMessage("Writing names cancelled", 4000)

    connections = [(writer.progress, progress), (writer.finished, finished), (writer.failed, failed),
                   (writer.cancelled, cancelled)]
    for signal, slot in connections:
        signal.connect(slot)
    dialog.canceled.connect(writer.cancel)
    return dialog
