"""Triplet miners: pick (anchor, positive, negative) index triplets from a labelled batch.

Every miner is a callable ``miner(embeddings, labels, generator=None) -> (a, p, n)`` returning three
int64 tensors on the embeddings' device (pytorch-metric-learning's ``indices_tuple``). Embeddings are
L2-normalised and distances are squared Euclidean (see :mod:`core.training.losses`). Mining runs under
``torch.no_grad()``; the masks are ``(N, N)`` (batch-all: ``(N, N, N)``), fine for batches of a few
hundred. A batch with a single class, or a class with a single sample, yields no triplet for that anchor.
"""

from __future__ import annotations

from typing import Literal, Protocol

import torch
from torch import Tensor

from core.training.losses import IndicesTuple, normalize, pairwise_sq_distances

MinerName = Literal["semihard", "batch_hard", "batch_all"]


class Miner(Protocol):
    margin: float

    def __call__(self, embeddings: Tensor, labels: Tensor,
                 generator: torch.Generator | None = None) -> IndicesTuple: ...


def label_masks(labels: Tensor) -> tuple[Tensor, Tensor]:
    """``(positive, negative)`` boolean ``(N, N)`` masks: same label and not the same index; other label."""
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def _empty(device: torch.device) -> IndicesTuple:
    e = torch.empty(0, dtype=torch.long, device=device)
    return e, e.clone(), e.clone()


def _distances(embeddings: Tensor, normalize_input: bool) -> Tensor:
    return pairwise_sq_distances(normalize(embeddings) if normalize_input else embeddings)


class BatchAllMiner:
    """Every valid triplet (``y_a == y_p != y_n``, ``a != p``); with ``positive_only`` only those with
    ``d(a, p) - d(a, n) + margin > 0``."""

    def __init__(self, margin: float = 0.2, positive_only: bool = False,
                 normalize_input: bool = True) -> None:
        self.margin = float(margin)
        self.positive_only = positive_only
        self.normalize_input = normalize_input

    @torch.no_grad()
    def __call__(self, embeddings: Tensor, labels: Tensor,
                 generator: torch.Generator | None = None) -> IndicesTuple:
        pos, neg = label_masks(labels)
        valid = pos[:, :, None] & neg[:, None, :]
        if self.positive_only:
            d = _distances(embeddings, self.normalize_input)
            valid &= (d[:, :, None] - d[:, None, :] + self.margin) > 0
        a, p, n = valid.nonzero(as_tuple=True)
        return a, p, n


class BatchHardMiner:
    """Per anchor: the farthest positive and the nearest negative (Hermans et al. 2017). One triplet per
    anchor that has both; ties go to the lowest index."""

    def __init__(self, margin: float = 0.2, normalize_input: bool = True) -> None:
        self.margin = float(margin)
        self.normalize_input = normalize_input

    @torch.no_grad()
    def __call__(self, embeddings: Tensor, labels: Tensor,
                 generator: torch.Generator | None = None) -> IndicesTuple:
        pos, neg = label_masks(labels)
        ok = pos.any(dim=1) & neg.any(dim=1)
        if not bool(ok.any()):
            return _empty(embeddings.device)
        d = _distances(embeddings, self.normalize_input)
        hardest_p = torch.where(pos, d, torch.full_like(d, -1.0)).argmax(dim=1)
        hardest_n = torch.where(neg, d, torch.full_like(d, float("inf"))).argmin(dim=1)
        a = ok.nonzero(as_tuple=True)[0]
        return a, hardest_p[a], hardest_n[a]


class SemiHardMiner:
    """FaceNet's semi-hard mining: for each anchor-positive pair, a negative chosen uniformly at random
    among the semi-hard ones, ``d(a, p) < d(a, n) < d(a, p) + margin``.

    Fallbacks, so every anchor-positive pair whose anchor has a negative gives one triplet:
    1. no semi-hard negative: the nearest negative farther than the positive, ``min d(a, n) > d(a, p)``
       (a zero-loss triplet; it only lowers the active share);
    2. no negative farther than the positive at all: the farthest negative (the easiest of the hard ones,
       as TensorFlow's ``triplet_semihard_loss`` does), so a collapsed model still gets a gradient.
    The random choice draws ``torch.rand((num_pairs, N), generator=generator)`` on the CPU.
    """

    def __init__(self, margin: float = 0.2, normalize_input: bool = True) -> None:
        self.margin = float(margin)
        self.normalize_input = normalize_input

    @torch.no_grad()
    def __call__(self, embeddings: Tensor, labels: Tensor,
                 generator: torch.Generator | None = None) -> IndicesTuple:
        pos, neg = label_masks(labels)
        pos &= neg.any(dim=1, keepdim=True)  # anchors without any negative give nothing
        a, p = pos.nonzero(as_tuple=True)
        if a.numel() == 0:
            return _empty(embeddings.device)
        d = _distances(embeddings, self.normalize_input)
        d_an = d[a]  # (pairs, N)
        d_ap = d[a, p][:, None]
        negs = neg[a]
        beyond = negs & (d_an > d_ap)
        semi = beyond & (d_an < d_ap + self.margin)
        scores = torch.rand(a.numel(), d.shape[1], generator=generator).to(d.device)
        pick_semi = torch.where(semi, scores, torch.full_like(scores, -1.0)).argmax(dim=1)
        pick_beyond = torch.where(beyond, d_an, torch.full_like(d_an, float("inf"))).argmin(dim=1)
        pick_far = torch.where(negs, d_an, torch.full_like(d_an, -1.0)).argmax(dim=1)
        n = torch.where(semi.any(dim=1), pick_semi, torch.where(beyond.any(dim=1), pick_beyond, pick_far))
        return a, p, n


def make_miner(name: MinerName, margin: float) -> Miner:
    """The miner called ``name`` ("semihard", "batch_hard" or "batch_all")."""
    if name == "semihard":
        return SemiHardMiner(margin)
    if name == "batch_hard":
        return BatchHardMiner(margin)
    if name == "batch_all":
        return BatchAllMiner(margin)  # with the "active" loss reduction, zero-loss triplets change nothing
    raise ValueError(f"unknown miner {name!r}")
