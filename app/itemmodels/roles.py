"""Custom item data roles shared by the models and delegates."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractProxyModel, QModelIndex, QPersistentModelIndex, Qt

_BASE = int(Qt.ItemDataRole.UserRole)

ID = _BASE + 1  # person, cluster, face or photo id
KIND = _BASE + 2  # "person" | "cluster" (cards)
COUNT = _BASE + 3  # number of faces
COVER = _BASE + 4  # cover face id
HIDDEN = _BASE + 5
SORT_NAME = _BASE + 6
ITEM = _BASE + 7  # the core DTO behind the row (PersonSummary, FaceInfo, PhotoInfo, ...)
PIXMAP = _BASE + 8  # the face crop / thumbnail, or None while it loads
LOADED = _BASE + 9  # False while a photo row's page is still loading
SUBTITLE = _BASE + 10  # second line under the name


def get(index: QModelIndex | QPersistentModelIndex, role: int) -> Any:
    """``index.data(role)``, asked of the Python model itself.

    PySide6 6.12 on Python 3.11 drops a reference to ``None`` each time Python receives an
    empty QVariant from C++ (``QModelIndex.data`` for a role the model has no value for),
    until the interpreter aborts. Going through proxies to our own model's ``data()``
    never converts a QVariant, so use this instead of ``index.data`` everywhere.
    """
    model = index.model()
    while isinstance(model, QAbstractProxyModel):
        index = model.mapToSource(index)
        model = index.model()
    if model is None or not index.isValid():
        return None
    return model.data(index, role)
