"""All photos as a virtual list: the row count and the months come first (one grouped query), the
rows a page at a time, on a worker thread, only for the pages the view actually shows. Opening a
library of 100,000 photos therefore costs one count and one page. The months are the grid's
date headings (:class:`Section`: where each month starts and how many photos it has)."""

from __future__ import annotations

import bisect
from calendar import month_name
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.itemmodels import roles
from app.thumbnails import device_pixels
from core.safetext import printable

if TYPE_CHECKING:
    from app.store import LibraryStore
    from app.thumbnails import ThumbnailService
    from core.library.queries import PhotoInfo
    from core.library.timeline import MonthCount

PAGE = 256
THUMB_SIZE = 256
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Section:
    """One date heading of the grid: ``title`` over the rows ``first`` .. ``first + count - 1``."""

    title: str
    first: int
    count: int


def sections_of(months: list[MonthCount]) -> list[Section]:
    """The headings ("Date unknown", "January 2020", …) of months in the grid's order."""
    out, first = [], 0
    for m in months:
        title = "Date unknown" if m.year is None or m.month is None else f"{month_name[m.month]} {m.year}"
        out.append(Section(title, first, m.count))
        first += m.count
    return out


class PhotosModel(QAbstractListModel):
    """Photos by date taken, optionally only those showing all of ``person_ids``."""

    loaded = Signal()  # the count is known (the grid can be shown)
    pageLoaded = Signal(int)
    sectionsChanged = Signal()  # new date headings (always after a reload, before loaded)

    def __init__(self, store: LibraryStore, thumbs: ThumbnailService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.thumbs = store, thumbs
        self.pixmap_size = device_pixels(THUMB_SIZE)
        self.person_ids: list[int] = []
        self.folder: str | None = None  # only the photos in this folder and below it
        self._count = 0
        self.sections: list[Section] = []
        self._pages: dict[int, list[PhotoInfo]] = {}
        self._asked: set[int] = set()
        self._generation = 0
        self._keep_view = False
        self.has_loaded = False

    def set_folder(self, folder: str | None) -> None:
        """Show only the photos in ``folder`` and its subfolders (None: every photo)."""
        self.folder = folder
        self.reload()

    def set_people(self, person_ids: list[int]) -> None:
        """Show only photos in which all these people appear (empty: every photo)."""
        self.person_ids = sorted(set(person_ids))
        self.reload()

    def reload(self, keep_view: bool = False) -> None:
        """Count again and drop the loaded pages (after an import or an edit). ``keep_view``:
        photos were added (an import commits them as it goes): rows are added at the end and the
        loaded ones refreshed, so the grid keeps its place instead of jumping to the top."""
        self._generation += 1
        generation, people, folder = self._generation, list(self.person_ids), self.folder
        self._keep_view = keep_view and self.has_loaded

        def count(session: Any) -> tuple[list[Section], list[PhotoInfo]]:
            from core.library import queries
            from core.library.timeline import month_counts

            sections = sections_of(month_counts(session, people or None, folder))
            total = sum(s.count for s in sections)
            first = queries.photos(session, people or None, offset=0, limit=PAGE, folder=folder) if total else []
            return sections, first

        self.store.read(count, lambda result: self._counted(generation, *result), name="count photos")

    def _counted(self, generation: int, sections: list[Section], first: list[PhotoInfo]) -> None:
        if generation != self._generation:
            return
        total = sum(s.count for s in sections)
        self.sections = sections
        if self._keep_view and total >= self._count:
            grown = total > self._count
            seen = sorted(self._pages)  # the pages the view has shown: refreshed in place
            if grown:
                self.beginInsertRows(QModelIndex(), self._count, total - 1)
            self._count = total
            self._pages = {0: first} if first else {}
            self._asked = set(self._pages)
            if grown:
                self.endInsertRows()
            for page in seen:
                lo, hi = page * PAGE, min(total, (page + 1) * PAGE) - 1
                if hi >= lo:
                    self.dataChanged.emit(self.index(lo), self.index(hi))
        else:
            self.beginResetModel()
            self._count = total
            self._pages = {0: first} if first else {}
            self._asked = set(self._pages)
            self.endResetModel()
        self.sectionsChanged.emit()
        self.has_loaded = True
        self.loaded.emit()

    def _request(self, page: int) -> None:
        if page in self._asked:
            return
        self._asked.add(page)
        generation, people, folder = self._generation, list(self.person_ids), self.folder

        def fetch(session: Any) -> list[PhotoInfo]:
            from core.library import queries

            return queries.photos(session, people or None, offset=page * PAGE, limit=PAGE, folder=folder)

        self.store.read(fetch, lambda rows: self._arrived(generation, page, rows), name="load photos")

    def _arrived(self, generation: int, page: int, rows: list[PhotoInfo]) -> None:
        if generation != self._generation:
            return
        self._pages[page] = rows
        first = page * PAGE
        last = min(self._count, first + len(rows)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first), self.index(last))
        self.pageLoaded.emit(page)

    def photo(self, row: int) -> PhotoInfo | None:
        """The row's PhotoInfo, or None while its page loads (the load is started)."""
        if not 0 <= row < self._count:
            return None
        page = self._pages.get(row // PAGE)
        if page is None:
            self._request(row // PAGE)
            return None
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    def heading(self, row: int) -> str:
        """The month heading that starts at ``row`` ("Date unknown" for the undated ones, which
        come first), or "" inside a month."""
        found = bisect.bisect_right([s.first for s in self.sections], row) - 1
        if found < 0 or self.sections[found].first != row:
            return ""
        return self.sections[found].title

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else self._count

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.photo(index.row())
        if role == roles.LOADED:
            return info is not None
        if info is None:
            return None
        if role == roles.ID:
            return info.id
        if role == roles.ITEM:
            return info
        if role == roles.PIXMAP:
            return self.thumbs.photo(info, self.pixmap_size)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            when = info.taken_at.strftime("%d %b %Y, %H:%M") if info.taken_at else "date unknown"
            faces = "1 face" if info.face_count == 1 else f"{info.face_count} faces"
            return f"{printable(info.path)}\n{when} · {faces}"
        if role == Qt.ItemDataRole.DisplayRole:
            return info.taken_at.strftime("%d %b %Y") if info.taken_at else ""
        return None
