"""On-disk JPEG thumbnail cache keyed by content hash, and square face crops."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from core.imaging.loader import load_image
from core.paths import cache_dir

__all__ = ["default_thumbnail_root", "ensure_thumbnail", "face_crop", "thumbnail_path"]

_JPEG_QUALITY = 85


def default_thumbnail_root() -> Path:
    """``<cache dir>/thumbnails``."""
    return cache_dir() / "thumbnails"


def thumbnail_path(cache_root: str | os.PathLike[str], content_hash: str, size: int) -> Path:
    """Where the ``size`` px thumbnail of the file with ``content_hash`` lives (may not exist)."""
    if len(content_hash) < 3 or not content_hash.isalnum():
        raise ValueError(f"not a content hash: {content_hash!r}")
    return Path(cache_root) / content_hash[:2] / f"{content_hash}_{int(size)}.jpg"


def ensure_thumbnail(src_path: str | os.PathLike[str], content_hash: str, size: int = 256,
                     cache_root: str | os.PathLike[str] | None = None) -> Path:
    """Return the cached thumbnail (longest side ``size``), creating it if missing.

    Written to a temp file and moved into place, so readers never see half a JPEG and two
    threads/processes making the same thumbnail are harmless. Raises ImageLoadError.
    """
    root = Path(cache_root) if cache_root is not None else default_thumbnail_root()
    target = thumbnail_path(root, content_hash, size)
    if target.is_file():
        return target
    loaded = load_image(src_path, max_side=size)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".thumb-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(loaded.rgb).save(fh, "JPEG", quality=_JPEG_QUALITY, optimize=True)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def face_crop(rgb: np.ndarray, box: tuple[float, float, float, float], size: int = 160,
              margin: float = 0.25) -> np.ndarray:
    """A ``size`` x ``size`` RGB crop centred on ``box`` (x, y, w, h).

    The square's side is the box's longer side plus ``margin`` of it on each side; parts
    outside the image are filled black.
    """
    x, y, w, h = (float(v) for v in box)
    side = max(w, h) * (1.0 + 2.0 * margin)
    if side < 1 or rgb.ndim != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        return np.zeros((size, size, 3), np.uint8)
    side_px = max(1, round(side))
    x0 = round(x + w / 2 - side_px / 2)
    y0 = round(y + h / 2 - side_px / 2)
    canvas = np.zeros((side_px, side_px, rgb.shape[2]), dtype=rgb.dtype)
    ix0, iy0 = max(0, x0), max(0, y0)
    ix1, iy1 = min(rgb.shape[1], x0 + side_px), min(rgb.shape[0], y0 + side_px)
    if ix1 > ix0 and iy1 > iy0:
        canvas[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = rgb[iy0:iy1, ix0:ix1]
    interp = cv2.INTER_AREA if side_px > size else cv2.INTER_LINEAR
    return cv2.resize(canvas, (size, size), interpolation=interp)
