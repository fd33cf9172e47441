"""Face detectors behind one interface (see :mod:`core.detection.base`).

The detector names (:class:`DetectorName`, :data:`DETECTOR_NAMES`, :data:`DEFAULT_DETECTOR`) are the one
vocabulary of the command line, the importer and the app's settings. To add a detector: a module here
with a class that follows :class:`core.detection.base.Detector`, a name below and a branch in
:func:`make_detector`. This package imports nothing heavy itself (the app reads the names at start).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.detection.base import Detection, Detector

__all__ = ["DEFAULT_DETECTOR", "DETECTOR_NAMES", "Detection", "Detector", "DetectorName", "make_detector"]


class DetectorName(StrEnum):
    """The face detectors, by the name settings and the command line use."""

    YUNET = "yunet"
    MTCNN = "mtcnn"


DETECTOR_NAMES: tuple[str, ...] = tuple(d.value for d in DetectorName)
DEFAULT_DETECTOR: str = DetectorName.YUNET.value


def __getattr__(name: str) -> Any:
    if name in ("Detection", "Detector"):  # numpy loads only when these are wanted
        from core.detection import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_detector(name: str, **options: Any) -> Detector:
    """A new detector by name (:data:`DETECTOR_NAMES`); ``options`` go to its constructor
    (e.g. ``min_score``, ``max_side``)."""
    key = name.strip().lower()
    if key == DetectorName.YUNET:
        from core.detection.yunet import YunetDetector

        return YunetDetector(**options)
    if key == DetectorName.MTCNN:
        from core.detection.mtcnn import MtcnnDetector

        return MtcnnDetector(**options)
    raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTOR_NAMES)}")
