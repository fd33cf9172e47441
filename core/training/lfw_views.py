"""Jittered views of the LFW faces, as cached trunk features: image augmentation for the CPU fine-tuning.

The CPU path trains the head on trunk features computed once per face, so augmentation has to happen
before the trunk. View ``k`` of a face is :func:`core.training.face_jitter.jittered_crop` of its detection
(seeded by the image's path and ``k``, so every run and every machine sees the same views), passed through
the frozen trunk with its mirror image like the plain crop. Views are cached in chunks under
``<cache dir>/lfw_trunk_views/<key>/view-<k>/``; the key covers the model, the detector/alignment settings,
the input standardisation and the jitter.

:func:`stacked_features` returns ``(N, 2 + 2 x views, 1792, 3, 3)``: the plain image and its mirror
first (what scoring uses), then each view and its mirror (drawn at random in training by
:class:`core.training.finetune.RandomView`). Only the faces of people with at least ``min_images`` images
can be drawn in training; the others carry copies of their plain features and cost nothing to compute.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.evaluation.lfw_run import central_face
from core.modelstore.registry import PRETRAINED_ID
from core.paths import cache_dir
from core.pipeline import FacePipeline, PipelineSettings
from core.progress import CancelToken, ProgressFn, check, report
from core.training.face_jitter import Jitter, jittered_crop
from core.training.finetune import trunk_features

CHUNK = 256
# views per face that ``faceorg train --mode finetune`` and the app train on by default. None: in
# BENCHMARKS.md §4, 2 views gave 98.98 % (a benchmark run) and 98.87 % (the CLI, the same settings; float-level
# differences flipped one fold's epoch choice) against 98.82 % without, within the noise of epoch selection,
# with one fold below the pretrained model and grouping F1 0.943 against 0.948
DEFAULT_VIEWS = 0


def digest(value: object, n: int = 20) -> str:
    """A short stable hash of ``repr(value)``: names cache folders and files."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:n]


def feature_key(settings: PipelineSettings) -> tuple[Any, ...]:
    """What trunk features of LFW faces depend on besides the model: detector, crop and standardisation."""
    return (settings.detector, settings.min_face, settings.crop_max_side, dataclasses.asdict(settings.align),
            settings.embedder.standardization)


def view_crop(pipeline: FacePipeline, root: Path, rel: str, view: int, jitter: Jitter | None = None) -> np.ndarray:
    """View ``view`` of the LFW image ``rel``: a jittered crop of the face nearest the image centre (of the
    image's centre when no face is found, as the pipeline's fallback)."""
    image, det = central_face(pipeline, root, rel)
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(f"{rel}|{view}".encode()).digest()[:8], "little"))
    if det is None:  # the box whose margin crop is the pipeline's centre crop (the central half)
        h, w = image.shape[:2]
        side = min(h, w) * 0.5 / (1 + 2 * pipeline.settings.align.margin)
        return jittered_crop(image, ((w - side) / 2, (h - side) / 2, side, side), rng, pipeline.settings.align,
                             jitter)
    return jittered_crop(image, det.box, rng, pipeline.settings.align, jitter)


def _view_folder(pipeline: FacePipeline, view: int, jitter: Jitter) -> Path:
    key = (PRETRAINED_ID, feature_key(pipeline.settings), dataclasses.asdict(jitter))
    return cache_dir() / "lfw_trunk_views" / digest(key) / f"view-{view}"


def view_features(root: str | Path, paths: Sequence[str], view: int, pipeline: FacePipeline | None = None, *,
                  base: InceptionResnetV1 | None = None, jitter: Jitter | None = None, workers: int = 2,
                  progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> torch.Tensor:
    """(N, 2, 1792, 3, 3) trunk features of view ``view`` of ``paths`` and of its mirror image, cached."""
    from core.embedding.weights import pretrained_facenet
    from core.modelstore.saved_model import atomic_torch_save

    root, pipeline, jitter = Path(root), pipeline or FacePipeline(), jitter or Jitter()
    if pipeline.settings.align.method != "crop":
        raise ValueError("jittered views are box crops: they need the 'crop' alignment, not "
                         f"{pipeline.settings.align.method!r}")
    folder = _view_folder(pipeline, view, jitter)
    parts = []
    for s in range(0, len(paths), CHUNK):
        check(cancel)
        chunk = list(paths[s:s + CHUNK])
        file = folder / f"{digest(chunk, 16)}.pt"
        if file.is_file():
            parts.append(torch.load(file, weights_only=True))
        else:
            base = base if base is not None else pretrained_facenet()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                crops = np.stack(list(pool.map(lambda rel: view_crop(pipeline, root, rel, view, jitter), chunk)))
            feats = trunk_features(base, crops, standardization=pipeline.settings.embedder.standardization,
                                   cancel=cancel)
            folder.mkdir(parents=True, exist_ok=True)
            atomic_torch_save(feats, file)
            parts.append(feats)
        report(progress, s + len(chunk), len(paths), f"trunk features of view {view + 1}")
    return torch.cat(parts) if parts else torch.zeros((0, 2, 1792, 3, 3))


def trainable_rows(paths: Sequence[str], min_images: int = 2) -> np.ndarray:
    """Indices of the images whose person has at least ``min_images`` images (the only ones trained on)."""
    person = np.array([p.split("/")[0] for p in paths])
    names, counts = np.unique(person, return_counts=True)
    return np.flatnonzero(np.isin(person, names[counts >= min_images]))


def stacked_features(plain: torch.Tensor, root: str | Path, paths: Sequence[str], views: int,
                     pipeline: FacePipeline | None = None, *, base: InceptionResnetV1 | None = None,
                     min_images: int = 2, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> torch.Tensor:
    """``plain`` (N, 2, ...) features with ``views`` jittered views stacked after them (see the module doc)."""
    if views <= 0:
        return plain
    rows = trainable_rows(paths, min_images)
    out = torch.empty((len(plain), 2 + 2 * views, *plain.shape[2:]), dtype=plain.dtype)
    out[:, :2] = plain
    for v in range(views):
        out[:, 2 + 2 * v:4 + 2 * v] = plain  # people never drawn in training keep their plain features
        out[rows, 2 + 2 * v:4 + 2 * v] = view_features(root, [paths[i] for i in rows], v, pipeline, base=base,
                                                        progress=progress, cancel=cancel)
    return out
