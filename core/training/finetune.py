"""Fine-tune the pretrained FaceNet with triplet loss on LFW (the unrestricted protocol).

For each of the 10 folds of ``people.txt``: train on the people of eight other folds, pick the best
epoch on the ninth fold's pairs (validation; the pretrained head stays when it is strictly better
there), and measure the held-out fold's pairs of ``pairs.txt`` with a threshold chosen on the other
nine folds' pairs (scored with that fold's model). No identity of the test fold is seen in training or
validation, and its pairs take no part in validation.

On CPU the trunk (up to ``mixed_7a``) is frozen: its 1792x3x3 features are computed once for every
image and its mirror image, and only the last blocks (``repeat_3``, ``block8``) and the embedding
layer train, so a fold takes minutes.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from core.alignment import Standardization, standardize
from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.evaluation.lfw import Pair, pair_arrays, pair_distances, read_people
from core.evaluation.roc import best_accuracy_threshold
from core.progress import CancelToken, ProgressFn, check, report
from core.training.datasets import TensorFaces
from core.training.trainer import TrainConfig, train

# bumped when the protocol's results change for the same settings (2: validation leaves the test fold's pairs
# out of its threshold; the pretrained head stays when it is better on validation); keys the work dirs of
# training runs (core.training.runs)
PROTOCOL_VERSION = 2


class FacenetHead(nn.Module):
    """The trainable top of Inception-ResNet-v1, fed with cached trunk features.

    ``last_bn`` keeps its running statistics (eval mode) during training: batches of P x K faces are
    too small and too unlike the CASIA-WebFace statistics to re-estimate them.
    """

    def __init__(self, base: InceptionResnetV1) -> None:
        super().__init__()
        self.repeat_3 = copy.deepcopy(base.repeat_3)
        self.block8 = copy.deepcopy(base.block8)
        self.last_linear = copy.deepcopy(base.last_linear)
        self.last_bn = copy.deepcopy(base.last_bn)

    def forward(self, features: Tensor) -> Tensor:
        x = self.block8(self.repeat_3(features))
        x = self.last_bn(self.last_linear(x.mean(dim=(2, 3))))
        return nn.functional.normalize(x, dim=1)

    def train(self, mode: bool = True) -> FacenetHead:
        super().train(mode)
        self.last_bn.eval()
        return self

    def install(self, base: InceptionResnetV1) -> InceptionResnetV1:
        """A copy of ``base`` with this head's weights: a whole model for the library."""
        model = copy.deepcopy(base)
        for name in ("repeat_3", "block8", "last_linear", "last_bn"):
            setattr(model, name, copy.deepcopy(getattr(self, name)))
        return model.eval()


def trunk_features(model: InceptionResnetV1, crops: np.ndarray, *, device: torch.device | None = None,
                   batch_size: int = 32, standardization: Standardization = "fixed",
                   progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Tensor:
    """(N, 2, 1792, 3, 3) float32 trunk features of 160x160 crops and of their mirror images."""
    device = device or next(model.parameters()).device
    out = torch.empty((len(crops), 2, 1792, 3, 3), dtype=torch.float32)
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(crops), batch_size):
            check(cancel)
            x = torch.from_numpy(standardize(crops[s:s + batch_size], standardization)).to(device)
            out[s:s + len(x), 0] = model.trunk(x).float().cpu()
            out[s:s + len(x), 1] = model.trunk(torch.flip(x, dims=[3])).float().cpu()
            report(progress, s + len(x), len(crops), "trunk features")
    return out


def head_embeddings(head: nn.Module, features: Tensor, *, batch_size: int = 512) -> np.ndarray:
    """Flip-averaged embeddings from cached (N, 2, ...) features."""
    device = next(head.parameters()).device
    head.eval()
    rows = []
    with torch.inference_mode():
        for s in range(0, len(features), batch_size):
            f = features[s:s + batch_size].to(device)
            e = head(f[:, 0]) + head(f[:, 1])
            rows.append(nn.functional.normalize(e, dim=1).float().cpu().numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 512), np.float32)


class RandomView:
    """Picks one of a face's cached views at random (the image or its mirror image, and any jittered views
    stacked after them): augmentation on cached features."""

    def __call__(self, x: Tensor) -> Tensor:
        return x[int(torch.randint(0, len(x), ()).item())]


@dataclass(frozen=True)
class FinetuneConfig:
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        epochs=8, P=32, K=4, lr=2e-5, margin=0.2, miner="semihard", weight_decay=0.0, lr_schedule="cosine"))
    min_images: int = 2          # people with fewer images give no positive pairs
    folds: tuple[int, ...] = tuple(range(10))
    # which parts of the head train (the rest keeps its pretrained weights): "repeat_3" (5 Inception-ResNet-C
    # blocks), "block8" (the last one), "last_linear" (the 512-d embedding layer and its batch norm)
    trainable: tuple[str, ...] = ("repeat_3", "block8", "last_linear")
    # keep the pretrained head for a fold where it is strictly better on the validation fold
    keep_pretrained_if_better: bool = True


@dataclass
class FoldResult:
    fold: int
    accuracy_before: float
    accuracy_after: float
    threshold_after: float
    train_people: int
    train_images: int
    best_epoch: int | None
    seconds: float
    # grouping of the held-out fold's people with >= 2 images (clustered at the "normal" preset of the
    # model's own threshold from the other folds): BCubed precision / F1 with the pretrained and the fold's model
    grouping_faces: int = 0
    grouping_precision_before: float | None = None
    grouping_f1_before: float | None = None
    grouping_precision_after: float | None = None
    grouping_f1_after: float | None = None
    # validation-fold accuracy of the pretrained head and of the trained one (its best epoch, or its
    # averaged weights with ``average_epochs``); the fine-tuned head is kept
    # unless the pretrained one is strictly better on validation (then ``adopted`` is False)
    val_before: float | None = None
    val_after: float | None = None
    adopted: bool = True


@dataclass
class FinetuneResult:
    folds: list[FoldResult]
    mean_before: float
    mean_after: float
    heads: dict[int, dict[str, Tensor]]   # fold -> head state dict

    @property
    def worse_folds(self) -> list[int]:
        return [f.fold for f in self.folds if f.accuracy_after < f.accuracy_before]


def _fold_accuracy(emb: np.ndarray, arrays: tuple[np.ndarray, ...], fold: int,
                   exclude: int | None = None) -> tuple[float, float]:
    """Accuracy on ``fold``'s pairs with the threshold chosen on the other folds' pairs (not ``exclude``'s)."""
    a, b, same, folds = arrays
    d = pair_distances(emb, a, b)
    other = (folds != fold) & (folds != exclude)
    t = best_accuracy_threshold(d[other], same[other])
    test = folds == fold
    return float(np.mean((d[test] <= t) == same[test])), float(t)


def held_out_grouping(emb: np.ndarray, people: np.ndarray, threshold: float) -> tuple[float, float]:
    """BCubed (precision, F1) of the library's clustering (the "normal" preset of
    :mod:`core.clustering.presets` for the model's verification ``threshold``) of held-out faces
    whose people are ``people``."""
    from core.clustering.agglomerative import cluster_faces
    from core.clustering.presets import GroupingThresholds
    from core.clustering.strictness import Strictness
    from core.evaluation.clustering import score_clustering

    if len(emb) == 0:
        return float("nan"), float("nan")
    normal = GroupingThresholds.calibrated(threshold).clustering[Strictness.NORMAL]
    score = score_clustering(people, cluster_faces(emb, normal).labels)
    return score.bcubed_precision, score.bcubed_f1


def fold_split(people_folds: Sequence[Sequence[tuple[str, int]]], fold: int, person_of: np.ndarray,
               min_images: int = 2) -> tuple[np.ndarray, int]:
    """The training rows (indices into ``person_of``, each row's person) for test ``fold`` of
    ``people.txt``, and the validation fold: the next one. Training takes the people of the eight
    other folds with at least ``min_images`` images; none of the test or validation fold's people."""
    val_fold = (fold + 1) % len(people_folds)
    counts = {n: int(c) for k, f in enumerate(people_folds) if k not in (fold, val_fold) for n, c in f}
    train_people = {n for n, c in counts.items() if c >= min_images}
    held_out = {n for k in (fold, val_fold) for n, _ in people_folds[k]}
    train_people -= held_out  # a name listed in two folds stays out of training
    idx = np.flatnonzero(np.isin(person_of, sorted(train_people)))
    return idx, val_fold


def finetune_lfw(base: InceptionResnetV1, features: Tensor, paths: Sequence[str], lfw_root: str | Path,
                 pairs: Sequence[Pair], config: FinetuneConfig | None = None, *,
                 on_fold: Callable[[FoldResult], None] | None = None, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None, checkpoint_dir: str | Path | None = None) -> FinetuneResult:
    """Run the 10-fold fine-tuning on cached trunk ``features`` of ``paths`` (relative LFW paths).
    With ``checkpoint_dir`` each fold checkpoints in ``<dir>/fold-<k>`` and a re-run resumes it."""
    config = config or FinetuneConfig()
    people_folds = read_people(Path(lfw_root) / "people.txt")
    index = {p: i for i, p in enumerate(paths)}
    person_of = np.array([p.split("/")[0] for p in paths])
    # only the images of pairs are scored (7,701 of LFW's 13,233): validation embeds them every epoch
    in_pairs = sorted({index[p.path_a] for p in pairs} | {index[p.path_b] for p in pairs})
    scored = features[in_pairs, :2]  # the plain image and its mirror (jittered views only train)
    arrays = pair_arrays(pairs, {paths[i]: k for k, i in enumerate(in_pairs)})
    pretrained_head = FacenetHead(base)
    emb_before = head_embeddings(pretrained_head, scored)
    results: list[FoldResult] = []
    heads: dict[int, dict[str, Tensor]] = {}
    for fold in config.folds:
        check(cancel)
        t0 = time.perf_counter()
        idx, val_fold = fold_split(people_folds, fold, person_of, config.min_images)
        labels = np.unique(person_of[idx], return_inverse=True)[1]
        dataset = TensorFaces(features[idx], labels.tolist(), transform=RandomView())
        head = FacenetHead(base)
        for name in ("repeat_3", "block8", "last_linear"):
            getattr(head, name).requires_grad_(name in config.trainable)
        head.last_bn.requires_grad_("last_linear" in config.trainable)  # the embedding layer's batch norm

        def validate(model: nn.Module, _val: int = val_fold, _test: int = fold) -> float:
            # the test fold's pairs take no part, not even in the threshold
            return _fold_accuracy(head_embeddings(model, scored), arrays, _val, exclude=_test)[0]

        outcome = train(head, dataset, config.train, val_fn=validate, cancel=cancel,
                        checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir) / f"fold-{fold}",
                        progress=lambda p, _f=fold: report(progress, p.done, p.total, f"fold {_f + 1}", **p.extra))
        val_before = _fold_accuracy(emb_before, arrays, val_fold, exclude=fold)[0]
        # with weight averaging the head ends on no epoch's weights: validate the averaged head itself
        val_after = validate(head) if config.train.average_epochs else outcome.best_val
        adopted = not config.keep_pretrained_if_better or val_after is None or val_after >= val_before
        if not adopted:  # fine-tuning made validation worse: keep the pretrained head for this fold
            head.load_state_dict(pretrained_head.state_dict())
        emb_after = head_embeddings(head, scored)
        before, thr_before = _fold_accuracy(emb_before, arrays, fold)
        after, thr = _fold_accuracy(emb_after, arrays, fold)
        grouped = np.flatnonzero(np.isin(person_of, [n for n, c in people_folds[fold] if c >= 2]))
        feats = features[grouped, :2]
        g_before = held_out_grouping(head_embeddings(pretrained_head, feats), person_of[grouped], thr_before)
        g_after = held_out_grouping(head_embeddings(head, feats), person_of[grouped], thr)
        result = FoldResult(fold, before, after, thr, len(set(person_of[idx])), len(idx), outcome.best_epoch,
                            time.perf_counter() - t0, len(grouped), *g_before, *g_after, val_before,
                            val_after, adopted)
        results.append(result)
        heads[fold] = {k: v.detach().cpu().clone() for k, v in head.state_dict().items()}
        if on_fold is not None:
            on_fold(result)
    return FinetuneResult(results, float(np.mean([r.accuracy_before for r in results])),
                          float(np.mean([r.accuracy_after for r in results])), heads)
