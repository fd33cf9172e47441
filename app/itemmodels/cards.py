"""People and Groups as cards: a list model over PersonSummary / ClusterSummary rows, sorted
by face count or name, with drag-and-drop of cards onto cards (merge)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.itemmodels import roles
from app.thumbnails import device_pixels

if TYPE_CHECKING:
    from app.store import LibraryStore
    from app.thumbnails import ThumbnailService
    from core.library.queries import ClusterSummary, FaceInfo, PersonSummary

MIME = "application/x-faceorg-cards"
CARD_FACE = 128  # logical px, as drawn by CardDelegate
Index = QModelIndex | QPersistentModelIndex


def find_face(session: Any, kind: str, owner_id: int, face_id: int | None) -> FaceInfo | None:
    """The FaceInfo of a card's cover face (core queries; run in a worker)."""
    from core.library import queries

    lister = queries.faces_of_person if kind == "person" else queries.faces_of_cluster
    offset = 0
    while True:
        page = lister(session, owner_id, offset=offset, limit=1 if offset == 0 else 500)
        if not page:
            return None
        for face in page:
            if face_id is None or face.id == face_id:
                return face
        offset += len(page)


class CardsModel(QAbstractListModel):
    """Named people (``kind="person"``) or unnamed groups (``kind="cluster"``)."""

    loaded = Signal()
    renameRequested = Signal(str, int, str)  # kind, id, new name
    mergeRequested = Signal(list, str, int)  # [(kind, id)] dropped, target kind, target id

    def __init__(self, kind: str, store: LibraryStore, thumbs: ThumbnailService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        assert kind in ("person", "cluster")
        self.kind = kind
        self.store = store
        self.thumbs = thumbs
        self.pixmap_size = device_pixels(CARD_FACE)
        self.include_hidden = False
        self._rows: list[PersonSummary | ClusterSummary] = []
        self._row_of: dict[int, int] = {}
        self._overrides: dict[int, str] = {}  # names typed, shown until stored or refused
        self._generation = 0
        self._editors = 0      # name editors open on these cards: rows loaded meanwhile wait (see hold)
        self._held: list[Any] | None = None
        self.sort_by = "count"
        self.has_loaded = False

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Fetch the rows again on a worker thread; existing cards stay in place."""
        kind, hidden = self.kind, self.include_hidden
        self._generation += 1
        generation = self._generation

        def fetch(session: Any) -> list[Any]:
            from core.library import queries

            if kind == "person":
                return queries.list_people(session, include_hidden=hidden)
            return queries.list_clusters(session)

        self.store.read(fetch, lambda rows: self._apply(generation, rows), name=f"load {kind}s")

    def _apply(self, generation: int, rows: list[Any]) -> None:
        if generation != self._generation:
            return
        if self._editors:  # a name is being typed: cards hold still until the editor closes
            self._held = rows
            return
        self.set_rows(rows)
        self.has_loaded = True
        self.loaded.emit()

    def hold(self) -> None:
        """A name editor opened on a card: rows loaded from now on wait for :meth:`release`, so that a
        reload can neither close the editor (a reset) nor move the card being named."""
        self._editors += 1

    def release(self) -> None:
        """The name editor closed: show the rows that arrived meanwhile."""
        self._editors = max(0, self._editors - 1)
        if not self._editors and self._held is not None:
            rows, self._held = self._held, None
            self.set_rows(rows)
            self.has_loaded = True
            self.loaded.emit()

    def _key(self, item: PersonSummary | ClusterSummary) -> tuple[Any, ...]:
        name = getattr(item, "name", "").casefold()
        if self.sort_by == "name":
            return (name, -item.face_count, item.id)
        return (-item.face_count, name, item.id)

    def set_sort(self, by: str) -> None:
        """"count" (most faces first) or "name" (A to Z); cards keep their selection."""
        self.sort_by = by
        self._reorder()

    def _reorder(self) -> None:
        """Sort the rows in place, moving persistent indexes (selection, current) along."""
        order = sorted(range(len(self._rows)), key=lambda r: self._key(self._rows[r]))
        if order == list(range(len(self._rows))):
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        new_row = {old_row: new for new, old_row in enumerate(order)}
        self._rows = [self._rows[r] for r in order]
        self.changePersistentIndexList(old, [self.index(new_row[i.row()]) if i.isValid() else i for i in old])
        self._reindex()
        self.layoutChanged.emit()

    def settle(self, item_id: int) -> None:
        """The name typed on card ``item_id`` was stored or refused: show the stored one."""
        if self._overrides.pop(item_id, None) is not None:
            row = self.row_of(item_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row), self.index(row))
            self.reload()

    def set_rows(self, rows: Sequence[PersonSummary | ClusterSummary]) -> None:
        """Replace the rows, keeping cards that are still there (and so the selection).
        Names typed but not stored yet stay shown (see :meth:`settle`)."""
        new = {r.id: r for r in rows}
        old_ids = [r.id for r in self._rows]
        kept = sum(1 for i in old_ids if i in new)
        if not self._rows or kept < len(old_ids) // 2:
            self.beginResetModel()
            self._rows = sorted(rows, key=self._key)
            self._reindex()
            self.endResetModel()
            return
        row = len(self._rows) - 1
        while row >= 0:  # remove vanished rows, a contiguous run at a time
            if self._rows[row].id in new:
                row -= 1
                continue
            end = row
            while row >= 0 and self._rows[row].id not in new:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row + 1, end)
            del self._rows[row + 1:end + 1]
            self.endRemoveRows()
        self._rows = [new[r.id] for r in self._rows]
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))
        present = {r.id for r in self._rows}
        added = [r for r in rows if r.id not in present]
        if added:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(added) - 1)
            self._rows.extend(added)
            self.endInsertRows()
        self._reindex()
        self._reorder()

    def _reindex(self) -> None:
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}

    def row_of(self, item_id: int) -> int:
        return self._row_of.get(item_id, -1)

    def item(self, row: int) -> PersonSummary | ClusterSummary:
        return self._rows[row]

    def names(self) -> list[str]:
        return [r.name for r in self._rows if hasattr(r, "name")]

    # -- Qt model API ---------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        item = self._rows[index.row()]
        name = self._overrides.get(item.id, getattr(item, "name", None))
        if role == Qt.ItemDataRole.DisplayRole:
            return name or "Unnamed"
        if role == Qt.ItemDataRole.EditRole:
            return name or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            who = name or "Unnamed group"
            return f"{who} — {self._faces(item.face_count)}"
        if role == roles.ID:
            return item.id
        if role == roles.KIND:
            return self.kind
        if role == roles.COUNT:
            return item.face_count
        if role == roles.SUBTITLE:
            return self._faces(item.face_count)
        if role == roles.COVER:
            return item.cover_face_id
        if role == roles.HIDDEN:
            return bool(getattr(item, "hidden", False))
        if role == roles.SORT_NAME:
            return (name or "").casefold()
        if role == roles.ITEM:
            return item
        if role == roles.PIXMAP:
            return self._pixmap(item)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{name or 'Unnamed group'}, {self._faces(item.face_count)}"
        return None

    @staticmethod
    def _faces(n: int) -> str:
        return "1 face" if n == 1 else f"{n:,} faces"

    def _pixmap(self, item: PersonSummary | ClusterSummary) -> Any:
        cover = item.cover_face_id
        if cover is None:
            return None
        library, kind = self.store.library, self.kind

        def resolve() -> FaceInfo | None:
            if library is None:
                return None
            with library.session() as session:
                return find_face(session, kind, item.id, cover)

        return self.thumbs.face_by_id(cover, resolve, self.pixmap_size)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        return (base | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemIsDropEnabled)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        text = " ".join(str(value).split())
        item = self._rows[index.row()]
        if not text or text == getattr(item, "name", None):
            return False
        self._overrides[item.id] = text
        self.dataChanged.emit(index, index)
        self.renameRequested.emit(self.kind, item.id, text)
        return True

    # -- drag and drop (merge) --------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Sequence[Index]) -> QMimeData:
        payload = [[self.kind, self._rows[i.row()].id] for i in indexes if i.isValid()]
        mime = QMimeData()
        mime.setData(MIME, QByteArray(json.dumps(payload).encode()))
        return mime

    @staticmethod
    def dropped(mime: QMimeData) -> list[tuple[str, int]]:
        if not mime.hasFormat(MIME):
            return []
        return [(str(k), int(i)) for k, i in json.loads(bytes(mime.data(MIME).data()).decode())]

    def canDropMimeData(self, mime: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: Index) -> bool:
        if not parent.isValid() or not mime.hasFormat(MIME):
            return False
        target = (self.kind, self._rows[parent.row()].id)
        return any(src != target for src in self.dropped(mime))

    def dropMimeData(self, mime: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: Index) -> bool:
        if not self.canDropMimeData(mime, action, row, column, parent):
            return False
        target_id = self._rows[parent.row()].id
        sources = [s for s in self.dropped(mime) if s != (self.kind, target_id)]
        self.mergeRequested.emit(sources, self.kind, target_id)
        return False  # the merge itself reloads the model; nothing for the view to remove
