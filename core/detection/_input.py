"""Input checks and the shrink-for-detection step shared by the detectors."""

from __future__ import annotations

import cv2
import numpy as np


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Validate an RGB uint8 image; grey (H x W) and RGBA are accepted and converted."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {a.dtype}")
    if a.ndim == 2:
        return cv2.cvtColor(a, cv2.COLOR_GRAY2RGB)
    if a.ndim == 3 and a.shape[2] == 4:
        return np.ascontiguousarray(a[:, :, :3])
    if a.ndim == 3 and a.shape[2] == 3:
        return np.ascontiguousarray(a)
    raise ValueError(f"expected an H x W x 3 RGB image, got shape {a.shape}")


def shrink(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` resized so its longest side is at most ``max_side``, and the factor used."""
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image, 1.0
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale
