"""Custom item data roles shared by the models and delegates."""

from __future__ import annotations

from PySide6.QtCore import Qt

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
