"""Face quality: how big and how sharp a face is, used to pick covers and best faces.

``size`` is the shorter side of the face box in original-photo pixels. ``sharpness`` is the
variance of the Laplacian of the grey face crop: the aligned 160 x 160 network input, so
that values compare across face sizes (a small face blown up to 160 px scores low, as it
should). Typical values: below ~50 blurred, a few hundred and above crisp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FaceQuality:
    size: float
    sharpness: float


def face_size(box: Sequence[float]) -> float:
    """min(w, h) of an (x, y, w, h) box, in pixels."""
    return float(max(0.0, min(float(box[2]), float(box[3]))))


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of an RGB (H, W, 3) or grey (H, W) uint8 crop."""
    image = np.asarray(crop)
    if image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    if image.size == 0:
        return 0.0
    return float(cv2.Laplacian(image, cv2.CV_64F).var())


def face_quality(box: Sequence[float], crop: np.ndarray) -> FaceQuality:
    """Size of ``box`` and sharpness of ``crop`` (the face's 160 x 160 RGB network input)."""
    return FaceQuality(face_size(box), sharpness(crop))
