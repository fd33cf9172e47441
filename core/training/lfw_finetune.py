"""Fine-tuning FaceNet on LFW through the real pipeline: ``faceorg train --mode finetune``.

Faces: each LFW image's face nearest the image centre, found by the pipeline's detector and cut out with
its alignment (a centre crop when no face is found), as ``faceorg evaluate lfw`` does. Trunk features
(:func:`core.training.finetune.trunk_features`, the image and its mirror image) are cached on disk under
``<cache dir>/lfw_trunk/<key>/`` in chunks, so a re-run (or a cancelled run) does not compute them again;
the key covers the image list, the model, the detector/alignment settings and the input standardisation.

:func:`run_folds` runs the 10-fold protocol of :func:`core.training.finetune.finetune_lfw` fold by fold,
keeping each finished fold's result in ``work_dir`` (and the trainer's checkpoints of the running fold),
so a re-run resumes. :func:`train_final` trains one head on every LFW person and saves the whole network
as a library model (architecture ``facenet``).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.evaluation.lfw import read_pairs
from core.evaluation.lfw_run import lfw_crop
from core.modelstore.registry import PRETRAINED_ID, ModelInfo, save_trained
from core.paths import cache_dir
from core.pipeline import FacePipeline, PipelineSettings
from core.progress import CancelToken, ProgressFn, check, report
from core.training.distributed import resolve_device
from core.training.finetune import FacenetHead, FinetuneConfig, FoldResult, RandomView, finetune_lfw, trunk_features
from core.training.lfw_views import DEFAULT_VIEWS, digest, feature_key, stacked_features
from core.training.trainer import TrainConfig, TrainResult, train

CHUNK = 256  # images per cached feature file


def default_train_config() -> TrainConfig:
    """The settings of the GPU run in benchmarks/results/device-h200-finetune.json (96.83 -> 97.92 %)."""
    return TrainConfig(epochs=6, P=32, K=4, lr=5e-5, margin=0.2, miner="semihard", lr_schedule="cosine")


def lfw_paths(root: str | Path, limit: int | None = None) -> list[str]:
    """Every LFW image (relative to ``images/``), sorted; the first ``limit`` for smoke runs."""
    images = Path(root) / "images"
    paths = sorted(str(p.relative_to(images)) for p in images.glob("*/*.jpg"))
    return paths[:limit] if limit else paths


def _chunk_files(paths: Sequence[str], settings: PipelineSettings) -> list[tuple[Path, list[str]]]:
    """Cache files of ``paths`` in chunks of CHUNK: the folder is keyed by the model and the detector and
    alignment settings, each file by its image list (so runs over a prefix of LFW share chunks)."""
    folder = cache_dir() / "lfw_trunk" / digest((PRETRAINED_ID, feature_key(settings)))
    chunks = [list(paths[i:i + CHUNK]) for i in range(0, len(paths), CHUNK)]
    return [(folder / f"{digest(c, 16)}.pt", c) for c in chunks]


def cached_trunk_features(root: str | Path, paths: Sequence[str], pipeline: FacePipeline | None = None, *,
                          base: InceptionResnetV1 | None = None, workers: int = 2, progress: ProgressFn | None = None,
                          cancel: CancelToken | None = None) -> torch.Tensor:
    """(N, 2, 1792, 3, 3) trunk features of ``paths``, computed chunk by chunk and cached on disk."""
    from core.embedding.weights import pretrained_facenet
    from core.modelstore.saved_model import atomic_torch_save

    root = Path(root)
    pipeline = pipeline or FacePipeline()
    parts = []
    for c, (file, chunk) in enumerate(_chunk_files(paths, pipeline.settings)):
        check(cancel)
        s = c * CHUNK
        if file.is_file():
            parts.append(torch.load(file, weights_only=True))
        else:
            base = base if base is not None else pretrained_facenet()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                crops = np.stack([c for c, _ in pool.map(lambda rel: lfw_crop(pipeline, root, rel), chunk)])
            feats = trunk_features(base, crops, standardization=pipeline.settings.embedder.standardization,
                                   cancel=cancel, progress=lambda p, _s=s: report(
                                       progress, _s + p.done, len(paths), "trunk features"))
            atomic_torch_save(feats, file)
            parts.append(feats)
        report(progress, s + len(chunk), len(paths), "trunk features")
    return torch.cat(parts) if parts else torch.zeros((0, 2, 1792, 3, 3))


@dataclass
class FoldsReport:
    """The folds run (or resumed), their mean accuracy before/after, and CPU minutes per fold."""

    folds: list[FoldResult]
    mean_before: float
    mean_after: float
    cpu_minutes: dict[int, float]
    n_images: int
    n_pairs: int
    feature_seconds: float
    config: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        faces = np.array([f.grouping_faces for f in self.folds], dtype=float)

        def grouping(key: str) -> float | None:
            vals = np.array([getattr(f, key) if getattr(f, key) is not None else np.nan for f in self.folds])
            ok = ~np.isnan(vals) & (faces > 0)
            return float(np.average(vals[ok], weights=faces[ok])) if ok.any() else None

        return {"mean_before": self.mean_before, "mean_after": self.mean_after,
                "grouping_held_out": {k: grouping(k) for k in (
                    "grouping_precision_before", "grouping_f1_before", "grouping_precision_after",
                    "grouping_f1_after")},
                "worse_folds": [f.fold for f in self.folds if f.accuracy_after < f.accuracy_before],
                "folds": [dataclasses.asdict(f) for f in self.folds],
                "cpu_minutes_per_fold": {str(k): round(v, 2) for k, v in self.cpu_minutes.items()},
                "n_images": self.n_images, "n_pairs": self.n_pairs,
                "feature_seconds": round(self.feature_seconds, 1), "config": self.config}


def run_folds(root: str | Path, work_dir: str | Path, *, folds: Sequence[int] = tuple(range(10)),
              config: TrainConfig | None = None, limit: int | None = None, pipeline: FacePipeline | None = None,
              views: int = DEFAULT_VIEWS, progress: ProgressFn | None = None,
              cancel: CancelToken | None = None) -> FoldsReport:
    """The 10-fold fine-tuning protocol (or the given ``folds``); finished folds are kept in
    ``work_dir/fold-<k>.json`` and skipped by a re-run, the running fold resumes from its checkpoint.
    ``views``: jittered views of each face to train on besides the plain one (:mod:`core.training.lfw_views`)."""
    from core.embedding.weights import pretrained_facenet

    root, work = Path(root), Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    config = config or default_train_config()
    paths = lfw_paths(root, limit)
    known = set(paths)
    pairs = [p for p in read_pairs(root / "pairs.txt") if p.path_a in known and p.path_b in known]
    t0 = time.perf_counter()
    base = pretrained_facenet().to(resolve_device(config.device))
    features = cached_trunk_features(root, paths, pipeline, base=base, progress=progress, cancel=cancel)
    features = stacked_features(features, root, paths, views, pipeline, base=base, progress=progress, cancel=cancel)
    feature_seconds = time.perf_counter() - t0
    results: list[FoldResult] = []
    cpu: dict[int, float] = {}
    for fold in folds:
        check(cancel)
        file = work / f"fold-{fold}.json"
        if file.is_file():
            saved = json.loads(file.read_text())
            results.append(FoldResult(**saved["result"]))
            cpu[fold] = float(saved["cpu_minutes"])
            continue
        c0 = time.process_time()
        res = finetune_lfw(base, features, paths, root, pairs, FinetuneConfig(train=config, folds=(fold,)),
                           progress=progress, cancel=cancel, checkpoint_dir=work / "checkpoints")
        cpu[fold] = (time.process_time() - c0) / 60
        results.extend(res.folds)
        file.write_text(json.dumps({"result": dataclasses.asdict(res.folds[0]), "cpu_minutes": cpu[fold]}))
    before = float(np.mean([r.accuracy_before for r in results])) if results else 0.0
    after = float(np.mean([r.accuracy_after for r in results])) if results else 0.0
    return FoldsReport(results, before, after,
                       cpu, len(paths), len(pairs), feature_seconds, {**dataclasses.asdict(config), "views": views})


@dataclass
class FinalModel:
    """The model trained on every LFW person and saved for the library."""

    model: ModelInfo
    train: TrainResult
    n_people: int
    n_images: int
    seconds: float


def train_final(root: str | Path, name: str, *, config: TrainConfig | None = None, limit: int | None = None,
                min_images: int = 2, pipeline: FacePipeline | None = None, checkpoint_dir: str | Path | None = None,
                models_directory: str | Path | None = None, views: int = DEFAULT_VIEWS,
                progress: ProgressFn | None = None,
                cancel: CancelToken | None = None) -> FinalModel:
    """Fine-tune the head on all LFW people with ``min_images`` or more images; save the whole network."""
    import core.modelstore.loading  # noqa: F401 - registers the "facenet" architecture with save_model
    from core.embedding.weights import pretrained_facenet
    from core.training.datasets import TensorFaces

    t0 = time.perf_counter()
    config = config or default_train_config()
    root = Path(root)
    paths = lfw_paths(root, limit)
    base = pretrained_facenet().to(resolve_device(config.device))
    features = cached_trunk_features(root, paths, pipeline, base=base, progress=progress, cancel=cancel)
    features = stacked_features(features, root, paths, views, pipeline, base=base, min_images=min_images,
                                progress=progress, cancel=cancel)
    person = np.array([p.split("/")[0] for p in paths])
    names, counts = np.unique(person, return_counts=True)
    keep = np.isin(person, names[counts >= min_images])
    idx = np.flatnonzero(keep)
    labels = np.unique(person[idx], return_inverse=True)[1]
    head = FacenetHead(base)
    outcome = train(head, TensorFaces(features[idx], labels.tolist(), transform=RandomView()), config,
                    progress=progress, cancel=cancel, checkpoint_dir=checkpoint_dir)
    model = head.cpu().install(base.cpu())
    n_people = int(labels.max()) + 1 if len(labels) else 0
    meta = {"base_model": PRETRAINED_ID,
            "training_data": f"LFW: {len(idx)} images of {n_people} people (>= {min_images} images each)",
            "settings": {**dataclasses.asdict(config), "views": views},
            "metrics": {"final_epoch_loss": outcome.epoch_losses[-1] if outcome.epoch_losses else None,
                        "lfw_10fold_note": "LFW identities are all seen in training; see `train --mode finetune` "
                                           "without --final for the 10-fold protocol"}}
    info = save_trained(model, name, meta, arch="facenet", arch_kwargs={}, directory=models_directory)
    return FinalModel(info, outcome, n_people, len(idx), time.perf_counter() - t0)
