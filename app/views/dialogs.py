"""The import report (files that could not be imported) and the About box."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.store import LibraryStore
from core.safetext import printable

Index = QModelIndex | QPersistentModelIndex


class ProblemsModel(QAbstractTableModel):
    """(path, reason) rows."""

    HEADERS = ("File", "Problem")

    def __init__(self, rows: list[tuple[str, str]] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = rows or []

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        self.beginResetModel()
        self.rows = sorted(set(rows))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else 2

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None


class ImportReportDialog(QDialog):
    """The last import's problems plus every photo the library marks as failed."""

    def __init__(self, store: LibraryStore, recent: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import Report")
        self.resize(760, 420)
        self.model = ProblemsModel(list(recent), self)
        self.summary = QLabel("Loading…")
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.verticalHeader().hide()
        table.setAccessibleName("Files that could not be imported")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("&Copy List", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(table, 1)
        layout.addWidget(buttons)
        self._recent = list(recent)

        def fetch(session: Any) -> list[tuple[str, str]]:
            from core.library.queries import import_errors

            return [(p.path, p.error or "unknown error") for p in import_errors(session)]

        if store.read(fetch, self._arrived, on_error=self._failed, name="import errors") is None:
            self._arrived([])

    def _failed(self, _exc: BaseException) -> None:
        self._arrived([])

    def _arrived(self, rows: list[tuple[str, str]]) -> None:
        self.model.set_rows([(printable(path), printable(why)) for path, why in self._recent + rows])
        n = self.model.rowCount()
        self.summary.setText("Every file was imported." if n == 0 else
                             f"{n} file{'s' if n != 1 else ''} could not be imported. They are skipped until "
                             "they change; fix or remove them and add the folder again.")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(f"{p}\t{r}" for p, r in self.model.rows))


def about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About FaceNet Organizer",
                      "<b>FaceNet Organizer</b><br>Finds, groups and recognises the people in your photos. "
                      "Everything stays on this computer.")
