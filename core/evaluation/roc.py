"""Exact threshold statistics for distance-based verification (smaller distance = more similar).

A pair is accepted ("same person") iff ``distance <= threshold``. Everything here is computed
from sorted distances and cumulative counts, so it is exact (no threshold grid) and O(n log n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Roc:
    """ROC over all pairs. Point i accepts every pair with distance <= ``thresholds[i]``;
    point 0 is (0, 0) with threshold -inf. ``eer`` is where FAR = FRR on the piecewise-linear
    ROC (linear interpolation between the two points that bracket the crossing)."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    eer: float
    eer_threshold: float


def _cumulative(d: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct distances ascending, and cumulative same / different counts at each."""
    uniq, inv = np.unique(d, return_inverse=True)
    tp = np.cumsum(np.bincount(inv, weights=same, minlength=len(uniq)))
    fp = np.cumsum(np.bincount(inv, weights=~same, minlength=len(uniq)))
    return uniq, tp, fp


def roc_curve(distances: np.ndarray, same: np.ndarray) -> Roc:
    """ROC, AUC (trapezoidal, ties handled like ``sklearn.metrics.roc_auc_score``) and EER."""
    d = np.asarray(distances, dtype=np.float64).ravel()
    s = np.asarray(same, dtype=bool).ravel()
    n_pos, n_neg = int(s.sum()), int((~s).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("need both same and different pairs")
    uniq, tp, fp = _cumulative(d, s)
    tpr = np.concatenate([[0.0], tp / n_pos])
    fpr = np.concatenate([[0.0], fp / n_neg])
    thresholds = np.concatenate([[-np.inf], uniq])
    auc = float(np.trapezoid(tpr, fpr))
    # FAR - FRR = fpr - (1 - tpr) rises from -1 to +1; find the first point where it is >= 0.
    gap = fpr - (1.0 - tpr)
    i = int(np.argmax(gap >= 0))
    if i == 0:
        eer, eer_t = 0.0, float(thresholds[0])
    else:
        w = -gap[i - 1] / (gap[i] - gap[i - 1])
        eer = float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))
        eer_t = float(thresholds[i - 1] + w * (thresholds[i] - thresholds[i - 1])) if i > 1 \
            else float(thresholds[i])
    return Roc(fpr=fpr, tpr=tpr, thresholds=thresholds, auc=auc, eer=eer, eer_threshold=eer_t)


def candidate_thresholds(d: np.ndarray) -> np.ndarray:
    """Every distinct way to split ``d``: one value below all distances, the midpoints between
    consecutive distinct distances, and one value above all distances (each +-1 of the extremes).
    Midpoints are computed in float64, so they lie strictly between float32 inputs."""
    uniq = np.unique(np.asarray(d, dtype=np.float64))
    if len(uniq) == 0:
        return np.array([0.0])
    mids = (uniq[:-1] + uniq[1:]) / 2.0
    return np.concatenate([[uniq[0] - 1.0], mids, [uniq[-1] + 1.0]])


def best_accuracy_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The threshold with the highest accuracy on these pairs among :func:`candidate_thresholds`
    (ties: the smallest threshold)."""
    d = np.asarray(distances, dtype=np.float64).ravel()
    s = np.asarray(same, dtype=bool).ravel()
    cands = candidate_thresholds(d)
    if len(d) == 0:
        return float(cands[0])
    _, tp, fp = _cumulative(d, s)
    n_neg = int((~s).sum())
    # Candidate 0 accepts nothing; candidate j >= 1 accepts the first j distinct distances.
    correct = np.concatenate([[n_neg], tp + (n_neg - fp)])
    return float(cands[int(np.argmax(correct))])


def val_far_threshold(impostor_distances: np.ndarray, far_target: float) -> float:
    """The threshold at which FAR on these impostor (different-person) pairs equals ``far_target``.

    With the m impostor distances sorted, e_1 <= ... <= e_m, accepting distances <= e_i gives
    FAR i/m. The target count k = far_target * m is interpolated linearly:
    t = e_floor(k) + frac(k) * (e_floor(k)+1 - e_floor(k)), so the training FAR is floor(k)/m <=
    far_target. When k < 1 no impostor may be accepted: t is the largest float below e_1.
    When k >= m every pair is accepted: t = e_m. This is the exact counterpart of FaceNet's
    grid-and-interp1d procedure (which depends on the grid step).
    """
    e = np.sort(np.asarray(impostor_distances, dtype=np.float64).ravel())
    m = len(e)
    if m == 0:
        raise ValueError("need impostor pairs to set a FAR threshold")
    k = float(far_target) * m
    if k < 1.0:
        return float(np.nextafter(e[0], -np.inf))
    if k >= m:
        return float(e[-1])
    lo = int(np.floor(k))  # 1-based index of e_floor(k)
    frac = k - lo
    return float(e[lo - 1] + frac * (e[lo] - e[lo - 1]))
