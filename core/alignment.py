"""From a detected face to FaceNet's 160x160 network input.

Two methods:
- ``crop``: the crop FaceNet was trained on: the detector box grown by a margin, made square, resized
  (Sandberg's align_dataset_mtcnn used box + margin, resized to 160). Tunable margin, vertical centre
  shift and aspect.
- ``similarity``: a five-point similarity transform (Umeyama) of the landmarks onto a template.

Both return uint8 RGB images of shape (160, 160, 3); :func:`standardize` turns them into the network's
input: ``fixed`` standardisation, (x - 127.5) / 128, which the 2018 FaceNet models (20180408-102900
included) were trained with, or the older per-image ``prewhiten``. On LFW, fixed gives 98.8% where
prewhiten gives 97.3% (two folds; BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from core.detection.base import Detection

IMAGE_SIZE = 160

# Five-point template (ArcFace's 112x112 reference, subject's right eye first), in unit square coords.
_TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                          [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64) / 112.0


@dataclass(frozen=True)
class AlignSettings:
    """How a face is cut out. Defaults are the best settings measured on LFW (see BENCHMARKS.md)."""

    method: Literal["crop", "similarity"] = "crop"
    margin: float = 0.10        # crop: extra border on each side, as a fraction of the box size
    shift_y: float = 0.0        # crop: move the crop centre down by this fraction of the box height
    square: bool = True         # crop: use the larger box side for both sides
    zoom: float = 0.80          # similarity: template scale (smaller = more context around the face)


def _crop_square(image: np.ndarray, cx: float, cy: float, half_w: float, half_h: float,
                 size: int) -> np.ndarray:
    """Resample the window centred at (cx, cy) to size x size; pixels outside the image are mirrored."""
    sx = 2 * half_w / size
    sy = 2 * half_h / size
    matrix = np.array([[1 / sx, 0, -(cx - half_w) / sx], [0, 1 / sy, -(cy - half_h) / sy]], dtype=np.float64)
    if max(sx, sy) > 1.5:  # warpAffine has no area filter: shrink the window's pixels first
        factor = 1.0 / max(sx, sy)
        image, (x0, y0) = _window(image, cx, cy, half_w, half_h)
        small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        # output <- original pixel u = small pixel / factor + (x0, y0)
        matrix = np.hstack([matrix[:, :2] / factor, (matrix[:, :2] @ [x0, y0] + matrix[:, 2])[:, None]])
        image = small
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _window(image: np.ndarray, cx: float, cy: float, half_w: float,
            half_h: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The pixels a crop of the window centred at (cx, cy) reads, and the cut's top-left corner.

    Only the window, plus a few pixels for the filters, is cut (a view, no copy): shrinking a whole
    12-megapixel frame for each face cost ~40 ms a face. The part of the window outside the image is
    mirrored by the warp, as before; mirrored pixels come from inside the window, since a face's
    centre lies in the image. The area filter's grid starts at the cut's corner instead of the
    frame's, so the result differs from the whole-frame shrink by a fraction of a pixel's phase."""
    h, w = image.shape[:2]
    pad = 4
    x0 = max(0, int(np.floor(cx - half_w)) - pad)
    y0 = max(0, int(np.floor(cy - half_h)) - pad)
    x1 = min(w, int(np.ceil(cx + half_w)) + pad)
    y1 = min(h, int(np.ceil(cy + half_h)) + pad)
    if x1 - x0 < 2 or y1 - y0 < 2:  # the window misses the image: keep the old whole-frame behaviour
        return image, (0, 0)
    return image[y0:y1, x0:x1], (x0, y0)


def crop_face(image: np.ndarray, box: tuple[float, float, float, float], settings: AlignSettings,
              size: int = IMAGE_SIZE) -> np.ndarray:
    """Box + margin crop (FaceNet's training crop), resized to size x size."""
    x, y, w, h = box
    cx = x + w / 2
    cy = y + h / 2 + settings.shift_y * h
    half_w = w / 2 * (1 + 2 * settings.margin)
    half_h = h / 2 * (1 + 2 * settings.margin)
    if settings.square:
        half_w = half_h = max(half_w, half_h)
    return _crop_square(image, cx, cy, half_w, half_h, size)


def similarity_matrix(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (Umeyama 1991) mapping src points onto dst; 2x3."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    scale = np.trace(np.diag(sig) @ sign) / s.var(0).sum()
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]])


def align_face(image: np.ndarray, landmarks: np.ndarray, settings: AlignSettings,
               size: int = IMAGE_SIZE) -> np.ndarray:
    """Five-point similarity alignment onto the template, zoomed by ``settings.zoom``."""
    template = ((_TEMPLATE_112 - 0.5) * settings.zoom + 0.5) * size
    matrix = similarity_matrix(landmarks, template)
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def face_input(image: np.ndarray, detection: Detection, settings: AlignSettings | None = None,
               size: int = IMAGE_SIZE) -> np.ndarray:
    """The size x size RGB uint8 input for one detection, by ``settings.method``."""
    settings = settings or AlignSettings()
    if settings.method == "similarity":
        return align_face(image, detection.landmarks, settings, size)
    return crop_face(image, detection.box, settings, size)


def center_crop(image: np.ndarray, fraction: float = 0.5, size: int = IMAGE_SIZE) -> np.ndarray:
    """Fallback when no face is found: the central ``fraction`` of the image, resized."""
    h, w = image.shape[:2]
    half = min(h, w) * fraction / 2
    return _crop_square(image, w / 2, h / 2, half, half, size)


Standardization = Literal["fixed", "prewhiten"]


def standardize(faces: np.ndarray, mode: Standardization = "fixed") -> np.ndarray:
    """uint8 RGB faces (N,H,W,3) -> float32 network input (N,3,H,W).

    ``fixed``: (x - 127.5) / 128, Sandberg's ``--use_fixed_image_standardization``, which the
    20180408-102900 weights were trained with. ``prewhiten``: per-image zero mean, unit variance
    (FaceNet's older models).
    """
    x = faces.astype(np.float32)
    if x.ndim == 3:
        x = x[None]
    if mode == "fixed":
        return np.ascontiguousarray(((x - np.float32(127.5)) / np.float32(128.0)).transpose(0, 3, 1, 2))
    if mode != "prewhiten":
        raise ValueError(f"unknown standardization {mode!r}")
    n = x[0].size
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = x.std(axis=(1, 2, 3), keepdims=True)
    std = np.maximum(std, np.float32(1.0 / np.sqrt(n)))
    return np.ascontiguousarray(((x - mean) / std).transpose(0, 3, 1, 2), dtype=np.float32)
