"""Search over the People / Groups cards (the cards model itself sorts)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from app.itemmodels.cards import CardsModel


class CardsProxy(QSortFilterProxyModel):
    """Filters cards by a name search (case-insensitive); the source model sorts."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterRole(Qt.ItemDataRole.EditRole)

    def set_sort(self, by: str) -> None:
        """"count" (most faces first) or "name" (A to Z)."""
        source = self.sourceModel()
        if isinstance(source, CardsModel):
            source.set_sort(by)
