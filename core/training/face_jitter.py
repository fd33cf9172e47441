"""Random views of a detected face for training on cached trunk features.

The CPU fine-tuning path trains on features computed once per image, so augmentation has to happen before
the trunk: :func:`jittered_crop` cuts the face out as the pipeline does (:func:`core.alignment.crop_face`),
after a small random similarity transform of the whole image about the face centre (rotation, scale,
shift, so the corners hold real pixels rather than black) and a mild colour jitter (brightness, contrast,
saturation; no hue). Deterministic for a given ``numpy`` generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.alignment import IMAGE_SIZE, AlignSettings, crop_face


@dataclass(frozen=True)
class Jitter:
    rotation: float = 10.0                   # degrees, either way
    scale: tuple[float, float] = (0.9, 1.1)  # of the face box
    shift: float = 0.05                      # of the box size, each axis
    colour: float = 0.25                     # brightness / contrast / saturation factors in 1 +- colour


def _colour(face: np.ndarray, jitter: Jitter, rng: np.random.Generator) -> np.ndarray:
    b, c, s = rng.uniform(1 - jitter.colour, 1 + jitter.colour, 3)
    x = face.astype(np.float32) * b
    x = (x - x.mean()) * c + x.mean()
    grey = x @ np.array([0.299, 0.587, 0.114], np.float32)
    x = (x - grey[..., None]) * s + grey[..., None]
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def jittered_crop(image: np.ndarray, box: tuple[float, float, float, float], rng: np.random.Generator,
                  settings: AlignSettings | None = None, jitter: Jitter | None = None,
                  size: int = IMAGE_SIZE) -> np.ndarray:
    """A randomly transformed ``size`` x ``size`` crop of the face in ``box`` (RGB uint8 in and out)."""
    settings = settings or AlignSettings()
    jitter = jitter or Jitter()
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    angle = rng.uniform(-jitter.rotation, jitter.rotation)
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    rotated = cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT_101)
    k = rng.uniform(*jitter.scale)
    dx, dy = rng.uniform(-jitter.shift, jitter.shift, 2) * (w, h)
    nw, nh = w * k, h * k
    moved = (cx + dx - nw / 2, cy + dy - nh / 2, nw, nh)
    return _colour(crop_face(rotated, moved, settings, size), jitter, rng)
