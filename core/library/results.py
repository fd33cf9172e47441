"""What an import and a grouping did: plain dataclasses with no heavy imports.

They live apart from :mod:`core.library.importer` (torch, OpenCV) and :mod:`core.library.grouping`
(SciPy) so that a process that only receives them, such as the desktop app getting the result of an
import job from its child process (:mod:`core.library.import_job`), can unpickle them without
loading those libraries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.clustering.strictness import DEFAULT_STRICTNESS


@dataclass
class ImportReport:
    """What one import did. ``new_face_ids``: faces inserted or re-embedded, to recognise and
    cluster next. ``errors``: (path, reason) for bad files and unreadable folders.
    ``stale_faces``: (face id, path) of named faces not found again in a photo whose content
    changed: kept with their names, for the user to check (``faceorg status`` lists them too)."""

    files_total: int = 0
    files_done: int = 0
    photos_new: int = 0
    photos_unchanged: int = 0
    photos_moved: int = 0
    photos_duplicate: int = 0
    photos_missing: int = 0
    photos_restored: int = 0
    photos_updated: int = 0
    faces_new: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0
    cancelled: bool = False
    new_face_ids: list[int] = field(default_factory=list)
    stale_faces: list[tuple[int, str]] = field(default_factory=list)
    # One line per library root not mapped on this computer (core.library.roots): its photos
    # were left alone; a file with one's content was taken for a copy.
    unmapped_roots: list[str] = field(default_factory=list)
    # Names from photo metadata (core.metadata): faces named, faces made from a region with no
    # detected face, review suggestions, and (path, reason) for skipped regions, unreadable XMP
    # and disagreements with names given in the app.
    metadata_photos_read: int = 0
    metadata_faces_named: int = 0
    metadata_region_faces: int = 0
    metadata_suggestions: int = 0
    metadata_skipped: list[tuple[str, str]] = field(default_factory=list)
    metadata_problems: list[tuple[str, str]] = field(default_factory=list)
    metadata_conflicts: list[tuple[str, str]] = field(default_factory=list)

    def add_metadata(self, meta: Any) -> None:
        """Add a :class:`core.metadata.library_sync.MetadataReport`."""
        self.metadata_photos_read += meta.photos_read
        self.metadata_faces_named += meta.faces_named
        self.metadata_region_faces += meta.region_faces
        self.metadata_suggestions += meta.suggestions
        self.metadata_skipped += meta.skipped
        self.metadata_problems += meta.problems
        self.metadata_conflicts += meta.conflicts
        self.new_face_ids += meta.new_face_ids
        self.faces_new += meta.region_faces

    def to_json(self) -> dict:
        """A stable, JSON-ready dict."""
        out = asdict(self)
        out["errors"] = [{"path": p, "reason": r} for p, r in self.errors]
        out["stale_faces"] = [{"face_id": f, "path": p} for f, p in self.stale_faces]
        for key in ("metadata_skipped", "metadata_problems", "metadata_conflicts"):
            out[key] = [{"path": p, "reason": r} for p, r in getattr(self, key)]
        out["elapsed_s"] = round(self.elapsed_s, 3)
        return out


@dataclass(frozen=True)
class GroupingResult:
    """What one :func:`core.library.grouping.regroup` did. ``suggested``: review suggestions
    pending after it; ``clustered``: faces in unnamed clusters; ``clusters_kept``: clusters that
    kept their id."""

    recognized: int = 0
    suggested: int = 0
    clustered: int = 0
    clusters_total: int = 0
    clusters_new: int = 0
    clusters_kept: int = 0
    seconds: float = 0.0
    strictness: str = DEFAULT_STRICTNESS
    threshold: float = 0.0
    model_id: str | None = None

    def to_json(self) -> dict:
        """A stable, JSON-ready dict."""
        return {**asdict(self), "seconds": round(self.seconds, 3)}
