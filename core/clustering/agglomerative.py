"""Face clustering for the app: constrained average-linkage agglomerative clustering.

Units: the threshold is a **squared L2 distance between L2-normalised embeddings**, in [0, 4]
(= 2 - 2 cos). Average linkage here averages squared L2 over all member pairs of two clusters;
two clusters merge while that average is <= threshold. (Averaging Euclidean distances instead,
as ``scipy``'s ``metric="euclidean"`` does, gives a slightly different hierarchy, so a threshold
tuned there converts only approximately: squared L2 = Euclidean ** 2.) The thresholds of each
strictness are in :mod:`core.clustering.presets`.

For reference: a Euclidean threshold of 0.9 on unit vectors is 0.81 squared; the LFW
verification threshold of a FaceNet model is typically ~1.1-1.3 in this unit.

Modes: ``exact`` (NN-chain on the full float32 matrix: 4 m^2 bytes, m = starting clusters;
10k faces ~3 s / 0.4 GB, 15k ~10 s / 0.9 GB on the 2-core dev machine) up to
``EXACT_MAX_FACES`` faces, else ``graph`` (average linkage restricted to a kNN graph with exact
cluster distances from cluster means; see :mod:`core.clustering.scale_mode`; 100k faces
~25-40 s / 0.75 GB). On synthetic face-like data graph mode's BCubed F1 is within 0.01 of exact.
Every face gets a label >= 0; labels are 0..n_clusters-1 ordered by smallest member index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from core.clustering.constraints import (
    CannotLink,
    Slots,
    cannot_link_pairs,
    canonical_labels,
    make_slots,
    photo_codes,
    same_photo_pairs,
)
from core.clustering.exact_linkage import Merges, exact_average_linkage
from core.clustering.knn import KnnMethod
from core.clustering.scale_mode import graph_mode_merges
from core.clustering.stable_ids import match_cluster_ids  # noqa: F401  (public API lives here too)
from core.progress import CancelToken, ProgressFn, report

EXACT_MAX_FACES = 12_000
DEFAULT_KNN = 10

@dataclass(frozen=True)
class ClusterResult:
    """``labels[i]`` is face i's cluster (0..n_clusters-1, by smallest member index).
    ``merges`` are in starting-cluster ("slot") space; ``slot_of_face`` maps faces to slots."""

    labels: np.ndarray
    n_clusters: int
    threshold: float
    mode: str
    merges: Merges
    slot_of_face: np.ndarray
    refused_merges: int  # graph mode: merges refused by constraints (exact mode: 0, not counted)
    ignored_cannot_links: int  # cannot-links / same-photo pairs inside a must-link group

    def cut(self, threshold: float) -> np.ndarray:
        """Labels for a lower threshold, from the recorded merges (exact for ``exact`` mode,
        whose merge heights are monotone; an approximation of a rerun for ``graph`` mode)."""
        keep = self.merges.height <= threshold
        n_slots = int(self.slot_of_face.max()) + 1 if len(self.slot_of_face) else 0
        return labels_from_merges(n_slots, self.merges.a[keep], self.merges.b[keep], self.slot_of_face)


def labels_from_merges(n_slots: int, a: np.ndarray, b: np.ndarray, slot_of_face: np.ndarray) -> np.ndarray:
    """Union-find over slot merges, then canonical face labels."""
    parent = np.arange(n_slots)

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[ry] = rx
    roots = np.array([find(i) for i in range(n_slots)], dtype=np.int64)
    return canonical_labels(roots[slot_of_face]) if len(slot_of_face) else np.zeros(0, dtype=np.int64)


def _slot_stats(x: np.ndarray, slots: Slots) -> tuple[np.ndarray, np.ndarray]:
    """Per slot: mean vector (float32) and mean squared norm (float64)."""
    sq = (x * x).sum(1, dtype=np.float64)
    if slots.all_singletons:
        return x.copy(), sq
    sums = np.zeros((slots.n_slots, x.shape[1]), dtype=np.float64)
    np.add.at(sums, slots.slot_of_face, x)
    size = slots.sizes.astype(np.float64)
    msq = np.bincount(slots.slot_of_face, weights=sq, minlength=slots.n_slots) / size
    return (sums / size[:, None]).astype(np.float32), msq


def cluster_faces(embeddings: np.ndarray, threshold: float, *, linkage: str = "average",
                  photo_ids: np.ndarray | Sequence | None = None,
                  cannot_link: Iterable[CannotLink] | None = None,
                  must_link: Iterable[Sequence[int]] | None = None,
                  mode: Literal["auto", "exact", "graph"] = "auto", knn: int | None = None,
                  knn_method: KnnMethod = "auto", rounds: bool = True,
                  progress: ProgressFn | None = None,
                  cancel: CancelToken | None = None) -> ClusterResult:
    """Cluster faces by constrained average linkage at ``threshold`` (squared L2, see module doc).

    ``photo_ids``: faces with equal ids are never clustered together. ``cannot_link``: pairs
    ``(face, face)`` or ``(face, [faces])`` that never share a cluster. ``must_link``: groups kept
    together (merged before anything else; they win over conflicting cannot-links).
    ``mode="auto"`` picks ``exact`` up to ``EXACT_MAX_FACES`` faces (and when ``knn`` is None),
    else ``graph`` with ``knn`` neighbours (default ``DEFAULT_KNN``) found by ``knn_method``
    (:func:`core.clustering.knn.knn_graph`); ``rounds=False`` skips graph mode's vectorised first
    phase (slower; for checks)."""
    if linkage != "average":
        raise ValueError("only linkage='average' is supported")
    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError("embeddings must be a 2-D array")
    n = len(x)
    if mode == "auto":
        mode = "exact" if n <= EXACT_MAX_FACES and knn is None else "graph"
    if mode not in ("exact", "graph"):
        raise ValueError(f"unknown mode {mode!r}")
    slots = make_slots(n, must_link)
    cl_pairs, ignored = cannot_link_pairs(cannot_link, slots)
    refused = 0
    if n == 0:
        merges = Merges(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    elif mode == "exact":
        photo_pairs, ignored_photo = same_photo_pairs(None if photo_ids is None else np.asarray(photo_ids), slots)
        ignored += ignored_photo
        means, msq = _slot_stats(x, slots)
        forbidden = np.concatenate([cl_pairs, photo_pairs]) if len(photo_pairs) else cl_pairs
        merges = exact_average_linkage(means, msq, slots.sizes, forbidden, threshold,
                                       progress=progress, cancel=cancel)
    else:
        means, msq = _slot_stats(x, slots)
        codes = photo_codes(None if photo_ids is None else np.asarray(photo_ids), n)
        if codes is not None:
            _, per_slot_photo = np.unique(slots.slot_of_face * (n + 1) + codes, return_counts=True)
            ignored += int((per_slot_photo * (per_slot_photo - 1) // 2).sum())
        res = graph_mode_merges(x, means, msq, slots.slot_of_face, slots.sizes, threshold,
                                knn=knn or DEFAULT_KNN, knn_method=knn_method, photo=codes,
                                cannot_pairs=cl_pairs,
                                rounds=rounds, progress=progress, cancel=cancel)
        merges, refused = res.merges, res.refused
    labels = labels_from_merges(slots.n_slots, merges.a, merges.b, slots.slot_of_face)
    report(progress, 1, 1, "done")
    return ClusterResult(labels=labels, n_clusters=int(labels.max()) + 1 if n else 0,
                         threshold=float(threshold), mode=mode, merges=merges,
                         slot_of_face=slots.slot_of_face, refused_merges=refused,
                         ignored_cannot_links=ignored)
