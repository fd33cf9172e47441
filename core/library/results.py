"""What an import and a grouping did: plain dataclasses with no heavy imports.

They live apart from :mod:`core.library.importer` (torch, OpenCV) and :mod:`core.library.grouping`
(SciPy) so that a process that only receives them, such as the desktop app getting the result of an
import job from its child process (:mod:`core.library.import_job`), can unpickle them without
loading those libraries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from core.clustering.strictness import DEFAULT_STRICTNESS


@dataclass
class ImportReport:
    """What one import did. ``new_face_ids``: faces inserted or re-embedded, to recognise and
    cluster next. ``errors``: (path, reason) for bad files and unreadable folders."""

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

    def to_json(self) -> dict:
        """A stable, JSON-ready dict."""
        out = asdict(self)
        out["errors"] = [{"path": p, "reason": r} for p, r in self.errors]
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
