"""Face augmentation with torchvision transforms v2.

Faces are roughly centred (aligned crops, LFW deep-funneled). The pipelines keep the face in view:

* ``face_preprocess`` (deterministic, cacheable): centre-crop ``crop`` source pixels around the face, times a
  ``context`` margin, and resize so the face region becomes ``size`` pixels. The margin is there so that the
  train-time rotation and shift have real pixels to bring in instead of black corners.
* ``train_transforms``: small affine (rotation <= 10 deg, scale 0.9-1.1, shift <= 5 %) on the context image,
  centre crop back to the face, a random resized crop covering >= 85 % of the face area (aspect 0.9-1.1),
  horizontal flip (faces are symmetric enough), mild colour jitter (no hue). No vertical flip, no big crops.
* ``eval_transforms``: the centre crop alone.

Both end with float32 in [-1, 1] (``MEAN``/``STD`` 0.5). Inputs: PIL images or uint8 ``(C, H, W)`` tensors.
Randomness comes from torch's global RNG (the trainer seeds it per sample).
"""

from __future__ import annotations

import torch
from torchvision.transforms import v2

MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
MAX_ROTATION = 10.0


def face_preprocess(size: int, crop: int | None = None, context: float = 1.25) -> v2.Compose:
    """PIL/uint8 image -> uint8 ``(3, S, S)`` tensor, ``S = round(size * context)``.

    ``crop``: side of the face region in source pixels (``None``: the whole image is the face region).
    """
    steps: list[torch.nn.Module] = [v2.ToImage(), v2.RGB()]
    if crop is not None:
        steps.append(v2.CenterCrop(round(crop * context)))
    steps.append(v2.Resize((round(size * context),) * 2, antialias=True))
    return v2.Compose(steps)


def _finish() -> list[torch.nn.Module]:
    return [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]


def train_transforms(size: int, *, rotation: float = MAX_ROTATION, scale: tuple[float, float] = (0.9, 1.1),
                     translate: float = 0.05, crop_scale: tuple[float, float] = (0.85, 1.0),
                     jitter: float = 0.25, hue: float = 0.0, flip: bool = True) -> v2.Compose:
    """Random face augmentation ending in a float ``(3, size, size)`` tensor (see module doc).

    ``jitter``: brightness/contrast/saturation strength; ``hue`` is off by default (4x the cost of the rest).
    Steps set to do nothing are left out (``rotation=0, translate=0, scale=(1, 1), crop_scale=(1, 1),
    jitter=0.1`` is the "light" augmentation: flip and mild colour jitter).
    """
    if not 0 <= rotation <= MAX_ROTATION:
        raise ValueError(f"rotation must be within 0..{MAX_ROTATION} degrees")
    if crop_scale[0] < 0.5:
        raise ValueError("crop_scale below 0.5 can cut the face out")
    steps: list[torch.nn.Module] = [v2.ToImage()]
    if rotation or translate or tuple(scale) != (1.0, 1.0):
        steps.append(v2.RandomAffine(degrees=rotation, translate=(translate, translate), scale=scale,
                                     interpolation=v2.InterpolationMode.BILINEAR))
    steps.append(v2.CenterCrop(size))
    if tuple(crop_scale) != (1.0, 1.0):
        steps.append(v2.RandomResizedCrop(size, scale=crop_scale, ratio=(0.9, 1.0 / 0.9), antialias=True))
    if flip:
        steps.append(v2.RandomHorizontalFlip())
    if jitter > 0:
        steps.append(v2.ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter, hue=hue))
    return v2.Compose(steps + _finish())


def eval_transforms(size: int) -> v2.Compose:
    """Deterministic: centre crop to ``size`` and normalise."""
    return v2.Compose([v2.ToImage(), v2.CenterCrop(size)] + _finish())
