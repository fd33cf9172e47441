"""The "scratch" experiment: the FaceNet seed notebook's network trained from scratch on a small LFW subset.

Data (:func:`core.evaluation.identification.seed_split`): the 62 LFW people with >= 20 images, sorted; per
person the first 10 images (by file name) train the network and form the kNN gallery, the next 5 are
validation, the next 5 test. Faces: centre ``center_crop`` px of the 250 x 250 deep-funneled images,
resized to 60 x 60 (kept with a 25 % context margin that the "full" augmentation's rotations draw on).
Augmentation: "light" (horizontal flip, colour jitter 0.1) by default -- it beat "full" (small affine,
resized crop, jitter 0.25) and "none" at every step budget tried (benchmarks/bench_train_scratch.py).

Training: :class:`~core.modelstore.networks.SeedCNN` (128-d) with triplet loss through
:func:`~core.training.trainer.train`; after every epoch the validation images are identified by kNN
against the gallery (best accuracy over k) and the best epoch's weights are kept. Evaluation: 62-way kNN,
k in (1, 3, 5, 7, 9) chosen on validation, accuracy on the 310 test images. The seed notebook reached 61.3 %.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from core.evaluation.identification import knn_identify, knn_predict, seed_split
from core.modelstore.networks import SeedCNN
from core.modelstore.saved_model import save_model
from core.progress import CancelToken, ProgressFn
from core.training.augment import eval_transforms, train_transforms
from core.training.datasets import ImageFiles
from core.training.distributed import resolve_device
from core.training.trainer import TrainConfig, TrainResult, train

SEED_NOTEBOOK_ACCURACY = 0.613


def _default_train_config() -> TrainConfig:
    return TrainConfig(epochs=20, steps_per_epoch=15, P=16, K=4, lr=1e-3, margin=0.2, miner="semihard",
                       lr_schedule="cosine", seed=0, device="auto")


@dataclass(frozen=True)
class ScratchConfig:
    """Experiment settings; ``train`` holds the optimisation ones."""

    train: TrainConfig = field(default_factory=_default_train_config)
    image_size: int = 60
    center_crop: int = 128
    context: float = 1.25
    embedding_dim: int = 128
    widths: tuple[int, ...] = (32, 64, 128, 128)
    dropout: float = 0.0
    augment: Literal["full", "light", "none"] = "light"  # light: flips and mild colour jitter only
    ks: tuple[int, ...] = (1, 3, 5, 7, 9)
    threads: int | None = 2  # torch CPU threads during the run (restored after)
    max_people: int | None = None  # a smaller run (the first people in sorted order), for smoke tests


@dataclass(frozen=True)
class ScratchResult:
    """Test accuracy with the ``k`` picked on validation, plus the training record and the saved model."""

    test_accuracy: float
    k: int
    val_accuracy_by_k: dict[int, float]
    test_accuracy_by_k: dict[int, float]
    n_people: int
    n_train: int
    n_val: int
    n_test: int
    train: TrainResult
    model_path: Path | None
    seconds: float


@torch.no_grad()
def embed(model: nn.Module, dataset: ImageFiles, device: torch.device, batch_size: int = 128) -> np.ndarray:
    """Embeddings of every item of ``dataset`` (eval mode), ``(N, D)`` float32."""
    was_training = model.training
    model.eval()
    out = [model(x.to(device)).float().cpu() for x, _ in DataLoader(dataset, batch_size=batch_size)]
    model.train(was_training)
    return torch.cat(out).numpy()


def train_scratch(lfw_root: str | Path, *, config: ScratchConfig | None = None,
                  progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                  out_dir: str | Path | None = None, resume: bool = True) -> ScratchResult:
    """Run the scratch experiment (see module doc). ``out_dir`` gets ``seed_cnn.pt`` (the saved model),
    ``logs/`` (TensorBoard, ``loss_curve.png``) and ``checkpoints/`` (resumable; cancel raises
    :class:`core.progress.Cancelled` after saving one)."""
    t0 = time.perf_counter()
    cfg = config or ScratchConfig()
    split = seed_split(lfw_root)
    people = split.people[: cfg.max_people] if cfg.max_people else split.people
    keep = set(people)

    def files(items: Sequence[tuple[Path, str]], transform) -> ImageFiles:
        return ImageFiles([it for it in items if it[1] in keep], people, transform=transform,
                          image_size=cfg.image_size, center_crop=cfg.center_crop, context=cfg.context)

    size = cfg.image_size
    if cfg.augment == "full":
        train_tf = train_transforms(size)
    elif cfg.augment == "light":
        train_tf = train_transforms(size, rotation=0.0, scale=(1.0, 1.0), translate=0.0, crop_scale=(1.0, 1.0),
                                    jitter=0.1)
    elif cfg.augment == "none":
        train_tf = eval_transforms(size)
    else:
        raise ValueError(f"unknown augment {cfg.augment!r}")
    train_ds = files(split.gallery, train_tf)
    gallery, val, test = (files(items, eval_transforms(size))
                          for items in (split.gallery, split.validation, split.test))
    gallery.cache = train_ds.cache  # same files, same preprocessing: decode each image once
    device = resolve_device(cfg.train.device)
    g_labels = np.asarray(gallery.labels)

    def val_accuracy(model: nn.Module) -> float:
        preds = knn_predict(embed(model, gallery, device), g_labels, len(people), embed(model, val, device),
                            cfg.ks)
        return max(float(np.mean(p == np.asarray(val.labels))) for p in preds.values())

    old_threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        torch.manual_seed(cfg.train.seed)
        model = SeedCNN(cfg.embedding_dim, size, cfg.widths, cfg.dropout)
        out = Path(out_dir) if out_dir is not None else None
        result = train(model, train_ds, cfg.train, val_fn=val_accuracy, progress=progress, cancel=cancel,
                       log_dir=out / "logs" if out else None,
                       checkpoint_dir=out / "checkpoints" if out else None, resume=resume)
        ident = knn_identify(embed(model, gallery, device), gallery.labels, embed(model, val, device),
                             val.labels, embed(model, test, device), test.labels, cfg.ks)
    finally:
        torch.set_num_threads(old_threads)
    model_path = None
    if out is not None:
        settings = dataclasses.asdict(cfg)
        model_path = save_model(out / "seed_cnn.pt", model, {
            "base_model": None,
            "training_data": f"LFW deep-funneled seed split: {len(people)} people x 10 images "
                             f"(first 10 by file name of people with >= 20 images)",
            "settings": settings,
            "metrics": {"test_accuracy": ident.test_accuracy, "k": ident.k,
                        "best_val_accuracy": result.best_val, "best_epoch": result.best_epoch}})
    return ScratchResult(ident.test_accuracy, ident.k, ident.val_accuracy_by_k, ident.test_accuracy_by_k,
                         len(people), len(train_ds), len(val), len(test), result, model_path,
                         time.perf_counter() - t0)
