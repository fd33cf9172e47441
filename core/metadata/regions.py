"""Face regions as photo metadata describes them, and their geometry.

MWG (``mwg-rs``) areas give the *centre* of the box and its size; Microsoft (``MPReg:Rectangle``)
gives the *top-left* corner and the size. Both are normalized (0..1) and, per the MWG spec,
relative to the stored pixels, before EXIF orientation is applied. The library keeps face boxes
in pixels of the photo as the user sees it (upright, see :mod:`core.imaging.loader`), so every box
crosses :func:`to_display` on the way in and :func:`to_stored` on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x, y (top-left), w, h

#: Per EXIF orientation: the display position (normalized) of stored point (u, v).
_FORWARD = {
    1: lambda u, v: (u, v),
    2: lambda u, v: (1 - u, v),
    3: lambda u, v: (1 - u, 1 - v),
    4: lambda u, v: (u, 1 - v),
    5: lambda u, v: (v, u),
    6: lambda u, v: (1 - v, u),
    7: lambda u, v: (1 - v, 1 - u),
    8: lambda u, v: (v, 1 - u),
}
#: The inverse maps: the stored position of display point (x, y).
_BACKWARD = {
    1: lambda x, y: (x, y),
    2: lambda x, y: (1 - x, y),
    3: lambda x, y: (1 - x, 1 - y),
    4: lambda x, y: (x, 1 - y),
    5: lambda x, y: (y, x),
    6: lambda x, y: (y, 1 - x),
    7: lambda x, y: (1 - y, 1 - x),
    8: lambda x, y: (1 - y, x),
}


@dataclass(frozen=True)
class Region:
    """One region read from metadata. ``box``: normalized (x, y, w, h), top-left corner, in the
    stored-pixel frame; ``convention``: "mwg" or "mp"; ``kind``: MWG Type ("Face", "Pet", ...)."""

    name: str
    box: Box
    convention: str
    kind: str = "Face"


@dataclass(frozen=True)
class SkippedRegion:
    """A region we could not use, and why (one line)."""

    name: str
    reason: str


def swaps_axes(orientation: int) -> bool:
    """Orientations 5-8 turn the photo by 90 degrees: width and height trade places."""
    return orientation in (5, 6, 7, 8)


def _map_box(box: Box, fn) -> Box:  # noqa: ANN001 - one of the tables above
    x, y, w, h = box
    (a, b), (c, d) = fn(x, y), fn(x + w, y + h)
    return min(a, c), min(b, d), abs(c - a), abs(d - b)


def to_display(box: Box, orientation: int) -> Box:
    """A normalized stored-frame box in the displayed (upright) frame."""
    return _map_box(box, _FORWARD.get(orientation, _FORWARD[1]))


def to_stored(box: Box, orientation: int) -> Box:
    """A normalized displayed-frame box in the stored frame (inverse of :func:`to_display`)."""
    return _map_box(box, _BACKWARD.get(orientation, _BACKWARD[1]))


def to_pixels(box: Box, width: int, height: int) -> Box:
    x, y, w, h = box
    return x * width, y * height, w * width, h * height


def to_normalized(box: Box, width: int, height: int) -> Box:
    x, y, w, h = box
    return x / width, y / height, w / width, h / height


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def centre_inside(a: Box, b: Box) -> bool:
    """The centre of ``a`` lies inside ``b``."""
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
    return b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]


def valid_normalized(box: Box) -> str | None:
    """None when the box lies within the photo (a rounding slack of 0.001), else why not."""
    x, y, w, h = box
    eps = 1e-3
    if not all(v == v for v in box):  # NaN
        return "coordinates are not numbers"
    if w <= 0 or h <= 0:
        return "empty area"
    if x < -eps or y < -eps or x + w > 1 + eps or y + h > 1 + eps:
        return "coordinates outside 0..1"
    return None
