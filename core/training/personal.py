"""Personal training: a small metric head learnt from the library's named people.

No image is decoded: the training data are the stored embeddings of the pretrained FaceNet
(:data:`core.embedding.weights.MODEL_ID`) of the faces the user named (assignment source "user" by
default), gathered by :func:`core.library.named_faces.named_embeddings` and passed in as arrays (training
never reads the library). A :class:`~core.modelstore.networks.MetricHead` (a 512 x 512 projection
initialised as the identity, so "before training" is exactly the pretrained model) is trained on them with
triplet loss.

Evaluation: per person with at least ``min_faces`` faces, ``holdout`` of the faces (at least one, chosen
at random with ``seed``) are held out; the rest train the head and form the k-NN gallery. Held-out
accuracy is k-NN recognition (``k`` nearest training faces, squared L2) among the training people,
before (identity head) and after. The head is *adopted* only if it is better on the held-out faces by
more than ``min_gain``; the result says so and why. Adopted heads are saved as ``metric_head`` models
(:mod:`core.modelstore.registry`); the library applies them on top of the pretrained FaceNet.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.evaluation.identification import knn_predict
from core.modelstore.networks import MetricHead, project
from core.modelstore.registry import PRETRAINED_ID, ModelInfo, new_model_name, save_trained
from core.progress import CancelToken, ProgressFn, check, report
from core.training.datasets import TensorFaces
from core.training.trainer import TrainConfig, TrainResult, train


def _default_train() -> TrainConfig:
    # benchmarks/bench_personal.py (LFW, 158 people, 5 splits): lr 3e-4 gained 0.3-0.6 points on every split;
    # 1e-3 was adopted on 2 of 3, semi-hard mining and 5 epochs on fewer.
    return TrainConfig(epochs=15, steps_per_epoch=None, P=8, K=4, lr=3e-4, margin=0.2, miner="batch_hard",
                       lr_schedule="cosine", device="cpu", restore_best=False)


@dataclass(frozen=True)
class PersonalConfig:
    """Settings. ``train.steps_per_epoch`` None: about one pass over the training faces, at least
    ``min_steps_per_epoch``; ``train.P`` is lowered to the number of people when there are fewer."""

    train: TrainConfig = field(default_factory=_default_train)
    holdout: float = 0.25
    min_faces: int = 4
    k: int = 1
    min_gain: float = 0.0
    seed: int = 0
    min_steps_per_epoch: int = 10
    sources: tuple[str, ...] = ("user",)
    threads: int | None = 1


@dataclass
class PersonalResult:
    """Held-out accuracy before/after, whether the head is adopted (and why), and the saved model."""

    accuracy_before: float
    accuracy_after: float
    adopted: bool
    reason: str
    n_people: int
    n_train: int
    n_test: int
    losses: list[float]
    seconds: float
    head: MetricHead
    train: TrainResult | None = None
    model: ModelInfo | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no weights)."""
        return {"accuracy_before": self.accuracy_before, "accuracy_after": self.accuracy_after,
                "adopted": self.adopted, "reason": self.reason, "n_people": self.n_people,
                "n_train": self.n_train, "n_test": self.n_test, "steps": len(self.losses),
                "final_loss": self.losses[-1] if self.losses else None, "seconds": round(self.seconds, 2),
                "model": None if self.model is None else self.model.to_json()}


class NotEnoughPeopleError(ValueError):
    """Fewer than two people have enough named faces to train and measure a head."""


def holdout_split(labels: np.ndarray, fraction: float, min_faces: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """``(train_idx, test_idx)``: for each label with at least ``min_faces`` items, ``fraction`` of them
    (rounded, at least one) go to test; labels with fewer items are left out entirely."""
    rng = np.random.default_rng(seed)
    train_idx: list[int] = []
    test_idx: list[int] = []
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        if len(idx) < min_faces:
            continue
        idx = rng.permutation(idx)
        n_test = max(1, int(round(fraction * len(idx))))
        test_idx += idx[:n_test].tolist()
        train_idx += idx[n_test:].tolist()
    return np.array(sorted(train_idx), dtype=np.int64), np.array(sorted(test_idx), dtype=np.int64)


def knn_accuracy(gallery: np.ndarray, g_labels: np.ndarray, queries: np.ndarray, q_labels: np.ndarray,
                 k: int = 1) -> float:
    """Share of ``queries`` whose ``k`` nearest gallery items vote for their label."""
    if len(queries) == 0:
        return 0.0
    classes, codes = np.unique(g_labels, return_inverse=True)
    pred = knn_predict(gallery, codes, len(classes), queries, [k])[k]
    return float(np.mean(classes[pred] == q_labels))


def train_head(embeddings: np.ndarray, labels: np.ndarray, config: PersonalConfig | None = None, *,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None,
               checkpoint_dir: str | Path | None = None) -> PersonalResult:
    """Split, train a head on the training faces, measure before/after on the held-out ones, decide."""
    t0 = time.perf_counter()
    cfg = config or PersonalConfig()
    labels = np.asarray(labels)
    tr, te = holdout_split(labels, cfg.holdout, cfg.min_faces, cfg.seed)
    people = len(np.unique(labels[tr])) if len(tr) else 0
    if people < 2:
        raise NotEnoughPeopleError(f"need at least 2 named people with {cfg.min_faces} or more faces each "
                                   f"(found {people})")
    x = np.asarray(embeddings, dtype=np.float32)
    head = MetricHead(x.shape[1], x.shape[1])
    before = knn_accuracy(x[tr], labels[tr], x[te], labels[te], cfg.k)
    tcfg = cfg.train
    P = min(tcfg.P, people)
    spe = tcfg.steps_per_epoch or max(cfg.min_steps_per_epoch, len(tr) // (P * tcfg.K))
    tcfg = dataclasses.replace(tcfg, P=P, steps_per_epoch=spe)
    old_threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        torch.manual_seed(tcfg.seed)
        check(cancel)
        outcome = train(head, TensorFaces(torch.from_numpy(x[tr]), labels[tr].tolist()), tcfg,
                        progress=progress, cancel=cancel, checkpoint_dir=checkpoint_dir)
        y = project(head, x)
    finally:
        torch.set_num_threads(old_threads)
    after = knn_accuracy(y[tr], labels[tr], y[te], labels[te], cfg.k)
    adopted = after > before + cfg.min_gain
    what = f"held-out accuracy {before:.1%} -> {after:.1%} on {len(te)} faces of {people} people"
    reason = (f"adopted: {what}" if adopted else
              f"not adopted: {what} (the head must be better by more than {cfg.min_gain:.1%})")
    report(progress, outcome.steps, outcome.steps, "personal head trained", accuracy_before=before,
           accuracy_after=after)
    return PersonalResult(before, after, adopted, reason, people, len(tr), len(te), list(outcome.losses),
                          time.perf_counter() - t0, head.eval(), outcome)


def train_personal(embeddings: np.ndarray, labels: np.ndarray, config: PersonalConfig | None = None, *,
                   source: str = "named faces", name: str | None = None, save: bool = True,
                   models_directory: str | Path | None = None, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> PersonalResult:
    """Train a head on named faces (``embeddings`` of the pretrained model, a person label per row, as
    :func:`core.library.named_faces.named_embeddings` gathers them; ``source`` names where they come from in the
    model's metadata); an adopted head is saved (``result.model``) as ``name`` (default
    ``personal-<date>-<time>``) in the models folder. Activating it is the caller's choice
    (:func:`core.library.active_model.use_model`)."""
    cfg = config or PersonalConfig()
    if len(embeddings) == 0:
        raise NotEnoughPeopleError("no named faces with stored embeddings of the pretrained model")
    result = train_head(embeddings, labels, cfg, progress=progress, cancel=cancel)
    if result.adopted and save:
        meta = {"base_model": PRETRAINED_ID,
                "training_data": f"{source}: {result.n_train} named faces of {result.n_people} people",
                "settings": {**dataclasses.asdict(cfg), "train": dataclasses.asdict(cfg.train)},
                "metrics": {"heldout_accuracy_before": result.accuracy_before,
                            "heldout_accuracy_after": result.accuracy_after, "heldout_faces": result.n_test,
                            "k": cfg.k}}
        result.model = save_trained(result.head, name or new_model_name("personal"), meta,
                                    directory=models_directory)
    return result
