"""Triplet loss on L2-normalised embeddings (FaceNet, Schroff et al. 2015).

``L = max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the *squared* Euclidean distance between
L2-normalised embeddings (so ``0 <= d <= 4``).

Reduction: the loss is averaged over the **active** triplets (those with a positive loss), as in
pytorch-metric-learning's ``AvgNonZeroReducer``. Averaging over all triplets lets the many easy
(zero-loss) triplets dilute the gradient as training progresses; averaging over active ones keeps its
scale. ``reduction="all"`` gives the plain mean over every triplet instead. With no triplet, or no
active one, the loss is a zero that still has a graph to ``embeddings`` (``backward()`` works).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

IndicesTuple = tuple[Tensor, Tensor, Tensor]
Reduction = Literal["active", "all"]


@dataclass(frozen=True)
class TripletLossResult:
    """``loss``: the reduced loss (a 0-d tensor with grad); ``active_fraction``: share of triplets with
    positive loss (0.0 when there is none); ``num_triplets`` and ``num_active``: counts."""

    loss: Tensor
    active_fraction: float
    num_triplets: int
    num_active: int


def normalize(embeddings: Tensor) -> Tensor:
    """L2-normalise each row."""
    return F.normalize(embeddings, p=2, dim=1)


def pairwise_sq_distances(embeddings: Tensor) -> Tensor:
    """Squared Euclidean distances between all rows, ``(N, N)``, clamped at 0.

    For unit rows this is ``2 - 2 <x, y>``; the general form keeps it right for unnormalised input.
    """
    sq = (embeddings * embeddings).sum(dim=1)
    d = sq[:, None] + sq[None, :] - 2.0 * embeddings @ embeddings.T
    return d.clamp_min(0.0)


def triplet_sq_distances(embeddings: Tensor, triplets: IndicesTuple) -> tuple[Tensor, Tensor]:
    """``d(a, p)`` and ``d(a, n)`` for listed triplets, computed directly from the rows."""
    a, p, n = triplets
    ea, ep, en = embeddings[a], embeddings[p], embeddings[n]
    return (ea - ep).pow(2).sum(dim=1), (ea - en).pow(2).sum(dim=1)


def triplet_loss(embeddings: Tensor, triplets: IndicesTuple, margin: float = 0.2, *,
                 reduction: Reduction = "active", normalize_input: bool = True) -> TripletLossResult:
    """Triplet loss of ``triplets`` (anchor, positive, negative index tensors) over ``embeddings``.

    ``embeddings`` are L2-normalised first unless ``normalize_input`` is False.
    """
    if normalize_input:
        embeddings = normalize(embeddings)
    a = triplets[0]
    if a.numel() == 0:
        zero = embeddings.sum() * 0.0
        return TripletLossResult(zero, 0.0, 0, 0)
    d_ap, d_an = triplet_sq_distances(embeddings, triplets)
    losses = F.relu(d_ap - d_an + margin)
    active = losses > 0
    num_active = int(active.sum().item())
    num = int(losses.numel())
    if reduction == "all":
        loss = losses.mean()
    elif reduction == "active":
        loss = losses.sum() / num_active if num_active else losses.sum() * 0.0
    else:
        raise ValueError(f"unknown reduction {reduction!r}")
    return TripletLossResult(loss, num_active / num, num, num_active)


class TripletLoss(nn.Module):
    """``TripletLoss(margin)(embeddings, labels, indices_tuple) -> TripletLossResult``.

    ``labels`` are only checked (each triplet must have ``y_a == y_p != y_n``); mining is the miner's job.
    """

    def __init__(self, margin: float = 0.2, reduction: Reduction = "active") -> None:
        super().__init__()
        self.margin = float(margin)
        self.reduction: Reduction = reduction

    def forward(self, embeddings: Tensor, labels: Tensor, indices_tuple: IndicesTuple) -> TripletLossResult:
        a, p, n = indices_tuple
        if a.numel() and not bool(((labels[a] == labels[p]) & (labels[a] != labels[n])).all()):
            raise ValueError("indices_tuple holds an invalid triplet (need y_a == y_p != y_n)")
        return triplet_loss(embeddings, indices_tuple, self.margin, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}"
