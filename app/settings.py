"""User preferences kept with QSettings (library location, detector, strictness, threads)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from core.clustering.strictness import DEFAULT_STRICTNESS, strictness_or_default
from core.detection import DEFAULT_DETECTOR, DETECTOR_NAMES

if TYPE_CHECKING:
    from core.storage.postgres import DatabaseLocation

ORGANIZATION = "FaceNetOrganizer"
APPLICATION = "FaceNet Organizer"


def library_location(text: str) -> Path | DatabaseLocation:
    """A library file's path, or a PostgreSQL URL (kept whole: a Path would fold its "//")."""
    if text.partition("://")[0].lower() in ("postgresql", "postgres", "postgresql+psycopg"):
        from core.storage.postgres import DatabaseLocation

        return DatabaseLocation(text)
    return Path(text)


def default_library() -> Path | DatabaseLocation:
    """``FACEORG_LIBRARY`` or the platform data folder (same rule as core.paths, no import)."""
    env = os.environ.get("FACEORG_LIBRARY")
    if env:
        return library_location(env)
    from core.paths import default_library_path

    return default_library_path()


class AppSettings:
    """Typed access to the persisted preferences."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.q = settings or QSettings()

    def _get(self, key: str, default: object) -> object:
        value = self.q.value(key, default)
        return default if value is None else value

    @property
    def library_path(self) -> Path | DatabaseLocation:
        """The library file, or a PostgreSQL library's URL (its password, if it has one, is kept
        in the settings file: prefer ``~/.pgpass``, see docs/scaling.md)."""
        value = self._get("library/path", "")
        return library_location(str(value)) if value else default_library()

    @library_path.setter
    def library_path(self, where: Path | DatabaseLocation) -> None:
        self.q.setValue("library/path", getattr(where, "url", None) or str(where))

    @property
    def detector(self) -> str:
        value = str(self._get("import/detector", DEFAULT_DETECTOR))
        return value if value in DETECTOR_NAMES else DEFAULT_DETECTOR

    @detector.setter
    def detector(self, name: str) -> None:
        self.q.setValue("import/detector", name)

    @property
    def strictness(self) -> str:
        return strictness_or_default(self._get("grouping/strictness", DEFAULT_STRICTNESS))

    @strictness.setter
    def strictness(self, value: str) -> None:
        self.q.setValue("grouping/strictness", value)

    @property
    def threads(self) -> int:
        """Worker threads for imports; 0 = automatic (all cores)."""
        try:
            return max(0, int(str(self._get("import/threads", 0))))
        except ValueError:
            return 0

    @threads.setter
    def threads(self, value: int) -> None:
        self.q.setValue("import/threads", int(value))

    @property
    def write_names(self) -> bool:
        """Write names into XMP sidecars whenever they change (off by default)."""
        return str(self._get("metadata/write_names", "false")).lower() in ("true", "1")

    @write_names.setter
    def write_names(self, value: bool) -> None:
        self.q.setValue("metadata/write_names", "true" if value else "false")

    @staticmethod
    def _folders_key(library: Path | DatabaseLocation) -> str:
        where = str(library.expanduser()) if isinstance(library, Path) else str(library)  # a URL: password masked
        digest = hashlib.sha1(where.encode()).hexdigest()[:16]
        return f"folders/{digest}"

    def folders(self, library: Path | DatabaseLocation) -> list[str]:
        """Folders the user added to ``library`` (the Folders view, "Import Again")."""
        value = self._get(self._folders_key(library), [])
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value] if isinstance(value, list | tuple) else []

    def add_folders(self, library: Path | DatabaseLocation, paths: list[str]) -> None:
        known = self.folders(library)
        self.q.setValue(self._folders_key(library), known + [p for p in paths if p not in known])

    def remove_folder(self, library: Path | DatabaseLocation, path: str) -> None:
        self.q.setValue(self._folders_key(library), [p for p in self.folders(library) if p != path])
