"""Clustering quality against ground truth: BCubed and pairwise precision / recall / F1.

Both are computed from the contingency table (the non-empty (true, predicted) cells, found with
``np.unique``), so they cost O(n log n) time and O(n) memory: fine for 100k+ items.
Every label value is a cluster, including -1: turn noise into singletons before scoring
(:func:`core.clustering.peers.noise_to_singletons`) if that is what you mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.progress import CancelToken, ProgressFn, report


@dataclass(frozen=True)
class ClusteringScore:
    n_items: int
    n_clusters: int
    n_people: int
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float


def _contingency(labels_true: np.ndarray, labels_pred: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-empty cells: (true code, pred code, count), plus true and predicted cluster sizes."""
    t = np.asarray(labels_true).ravel()
    p = np.asarray(labels_pred).ravel()
    if len(t) != len(p):
        raise ValueError("label arrays differ in length")
    _, tc = np.unique(t, return_inverse=True)
    _, pc = np.unique(p, return_inverse=True)
    tc = tc.astype(np.int64).ravel()
    pc = pc.astype(np.int64).ravel()
    n_p = int(pc.max()) + 1 if len(pc) else 0
    cells, counts = np.unique(tc * max(n_p, 1) + pc, return_counts=True)
    return cells // max(n_p, 1), cells % max(n_p, 1), counts, np.bincount(tc), np.bincount(pc)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def bcubed(labels_true: np.ndarray, labels_pred: np.ndarray) -> tuple[float, float, float]:
    """BCubed (precision, recall, F1): item i's precision is the share of its predicted cluster
    that shares its true label, its recall the share of its true class inside its predicted
    cluster; both are averaged over items. Empty input gives (1, 1, 1)."""
    ti, pi, n_ij, t_size, p_size = _contingency(labels_true, labels_pred)
    n = int(n_ij.sum())
    if n == 0:
        return 1.0, 1.0, 1.0
    sq = n_ij.astype(np.float64) ** 2
    precision = float((sq / p_size[pi]).sum() / n)
    recall = float((sq / t_size[ti]).sum() / n)
    return precision, recall, _f1(precision, recall)


def _pairs(x: np.ndarray) -> int:
    x = x.astype(np.int64)
    return int((x * (x - 1) // 2).sum())


def pairwise_f1(labels_true: np.ndarray, labels_pred: np.ndarray) -> tuple[float, float, float]:
    """Pairwise (precision, recall, F1) over unordered item pairs: precision = same-person pairs
    placed together / pairs placed together, recall = same-person pairs placed together /
    same-person pairs. With no predicted pairs precision is 1; with no true pairs recall is 1."""
    _, _, n_ij, t_size, p_size = _contingency(labels_true, labels_pred)
    tp, pred_pairs, true_pairs = _pairs(n_ij), _pairs(p_size), _pairs(t_size)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    return float(precision), float(recall), _f1(precision, recall)


def score_clustering(labels_true: np.ndarray, labels_pred: np.ndarray) -> ClusteringScore:
    """All metrics at once."""
    bp, br, bf = bcubed(labels_true, labels_pred)
    pp, pr, pf = pairwise_f1(labels_true, labels_pred)
    return ClusteringScore(n_items=len(np.asarray(labels_true).ravel()),
                           n_clusters=len(np.unique(labels_pred)), n_people=len(np.unique(labels_true)),
                           bcubed_precision=bp, bcubed_recall=br, bcubed_f1=bf,
                           pairwise_precision=pp, pairwise_recall=pr, pairwise_f1=pf)


@dataclass(frozen=True)
class SweepPoint:
    threshold: float
    score: ClusteringScore


def threshold_sweep(embeddings: np.ndarray, labels_true: np.ndarray, thresholds: Sequence[float], *,
                    photo_ids: np.ndarray | None = None, mode: str = "auto",
                    progress: ProgressFn | None = None,
                    cancel: CancelToken | None = None) -> list[SweepPoint]:
    """Score :func:`core.clustering.agglomerative.cluster_faces` at each threshold (ascending).
    Exact mode clusters once at the largest threshold and cuts its (monotone) merge heights for
    the others, which equals rerunning; graph mode reruns per threshold."""
    from core.clustering.agglomerative import EXACT_MAX_FACES, cluster_faces

    ts = sorted(float(t) for t in thresholds)
    if not ts:
        return []
    exact = mode == "exact" or (mode == "auto" and len(embeddings) <= EXACT_MAX_FACES)
    out: list[SweepPoint] = []
    if exact:
        top = cluster_faces(embeddings, ts[-1], photo_ids=photo_ids, mode="exact", progress=progress,
                            cancel=cancel)
        return [SweepPoint(t, score_clustering(labels_true, top.cut(t))) for t in ts]
    for i, t in enumerate(ts):
        report(progress, i, len(ts), f"threshold {t:.3f}")
        res = cluster_faces(embeddings, t, photo_ids=photo_ids, mode="graph", cancel=cancel)
        out.append(SweepPoint(t, score_clustering(labels_true, res.labels)))
    return out
