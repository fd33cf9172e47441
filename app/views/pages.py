"""The main window's pages: one typed attribute each, and a look-up by name (the sidebar's keys).

To add a page: a ``QWidget`` subclass in ``app/views/<name>_page.py``, a field here, its construction
in :class:`app.views.main_window.MainWindow` and, to reach it from the sidebar, an entry in
:mod:`app.views.sidebar`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

from PySide6.QtWidgets import QWidget

from app.views.cards_page import CardsPage
from app.views.detail_page import DetailPage
from app.views.folders_page import FoldersPage
from app.views.photos_page import PhotosPage
from app.views.review_page import ReviewPage
from app.views.unknown_page import UnknownFacesPage
from app.views.viewer_page import ViewerPage


@dataclass(frozen=True, eq=False)
class Pages:
    """Every page of the window. ``pages.viewer`` has the page's own type; ``pages["viewer"]`` is
    the same widget looked up by name."""

    people: CardsPage
    groups: CardsPage
    review: ReviewPage
    unknown: UnknownFacesPage
    photos: PhotosPage
    folders: FoldersPage
    detail: DetailPage
    viewer: ViewerPage

    def names(self) -> list[str]:
        return [f.name for f in fields(self)]

    def items(self) -> Iterator[tuple[str, QWidget]]:
        return ((name, getattr(self, name)) for name in self.names())

    def values(self) -> Iterator[QWidget]:
        return (page for _, page in self.items())

    def get(self, name: str) -> QWidget | None:
        return getattr(self, name) if name in self.names() else None

    def __getitem__(self, name: str) -> QWidget:
        page = self.get(name)
        if page is None:
            raise KeyError(name)
        return page

    def __contains__(self, name: object) -> bool:
        return name in self.names()
