"""The faces of one person or group (FaceInfo rows), fetched a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.itemmodels import roles
from app.thumbnails import device_pixels
from core.safetext import printable
from core.storage.states import AssignmentSource

if TYPE_CHECKING:
    from app.store import LibraryStore
    from app.thumbnails import ThumbnailService
    from core.library.queries import FaceInfo

PAGE = 400
FACE_SIZE = 124  # logical px, as drawn by FaceDelegate
Index = QModelIndex | QPersistentModelIndex


_HOW: dict[str, str] = {AssignmentSource.USER: "named by you", AssignmentSource.RECOGNIZER: "recognised",
        AssignmentSource.CLUSTERER: "grouped"}  # tooltips: who assigned the face

class FacesModel(QAbstractListModel):
    """Faces of ``owner`` = ("person", id), ("cluster", id) or ("unknown", 0) (faces in no group
    and no person), best first; fetchMore pages."""

    loaded = Signal()

    def __init__(self, store: LibraryStore, thumbs: ThumbnailService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.thumbs = store, thumbs
        self.pixmap_size = device_pixels(FACE_SIZE)
        self.owner: tuple[str, int] | None = None
        self._rows: list[FaceInfo] = []
        self._complete = True
        self._fetching = False
        self._generation = 0

    def set_owner(self, kind: str, owner_id: int) -> None:
        """Show the faces of a person or a cluster (loads the first page)."""
        self.owner = (kind, owner_id)
        self.beginResetModel()
        self._rows, self._complete, self._fetching = [], False, False
        self._generation += 1
        self.endResetModel()
        self._fetch(0, PAGE)

    def reload(self) -> None:
        """Fetch again as many faces as are shown now (after an edit)."""
        if self.owner is None:
            return
        self._generation += 1
        self._fetching = False
        self._fetch(0, max(PAGE, len(self._rows)), replace=True)

    def _fetch(self, offset: int, limit: int, replace: bool = False) -> None:
        if self.owner is None or self._fetching:
            return
        self._fetching = True
        kind, owner_id = self.owner
        generation = self._generation

        def fetch(session: Any) -> list[FaceInfo]:
            from core.library import queries

            if kind == "person":
                return queries.faces_of_person(session, owner_id, offset=offset, limit=limit)
            if kind == "unknown":  # in no group and no person
                return queries.unassigned_faces(session, offset=offset, limit=limit)
            return queries.faces_of_cluster(session, owner_id, offset=offset, limit=limit)

        self.store.read(fetch, lambda rows: self._arrived(generation, rows, limit, replace),
                        name="load faces")

    def _arrived(self, generation: int, rows: list[FaceInfo], limit: int, replace: bool) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self._complete = len(rows) < limit
        if replace:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        elif rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.loaded.emit()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt signature
        return not parent.isValid() and not self._complete and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 - Qt signature
        self._fetch(len(self._rows), PAGE)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def face(self, row: int) -> FaceInfo:
        return self._rows[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        face = self._rows[index.row()]
        if role == roles.ID:
            return face.id
        if role == roles.ITEM:
            return face
        if role == roles.PIXMAP:
            return self.thumbs.face(face, self.pixmap_size)
        if role == Qt.ItemDataRole.ToolTipRole:
            name = face.person_name or "Unnamed group"
            return f"{name} ({_HOW.get(face.source or '', 'unassigned')})\n{printable(face.photo_path)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Face {face.id} in {printable(face.photo_path)}"
        if role == roles.SUBTITLE and face.source == AssignmentSource.RECOGNIZER and face.confidence is not None:
            return "?"  # recognised automatically: shown with a small marker
        return None
