"""Face detectors behind one interface (see :mod:`core.detection.base`)."""

from __future__ import annotations

from typing import Any

from core.detection.base import Detection, Detector

__all__ = ["DETECTOR_NAMES", "Detection", "Detector", "make_detector"]

DETECTOR_NAMES = ("yunet", "mtcnn")


def make_detector(name: str, **options: Any) -> Detector:
    """A new detector by name ("yunet" or "mtcnn"); ``options`` go to its constructor
    (e.g. ``min_score``, ``max_side``)."""
    key = name.strip().lower()
    if key == "yunet":
        from core.detection.yunet import YunetDetector

        return YunetDetector(**options)
    if key == "mtcnn":
        from core.detection.mtcnn import MtcnnDetector

        return MtcnnDetector(**options)
    raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTOR_NAMES)}")
