"""Exact ROC / threshold helpers against sklearn and plain loops."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from core.evaluation.roc import best_accuracy_threshold, candidate_thresholds, roc_curve, val_far_threshold


def _data(seed, n=300, ties=False):
    rng = np.random.default_rng(seed)
    same = rng.random(n) < 0.5
    d = np.where(same, rng.normal(0.8, 0.3, n), rng.normal(1.5, 0.3, n))
    if ties:
        d = np.round(d, 1)
    return d.astype(np.float32), same


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_roc_matches_sklearn(seed, ties):
    d, same = _data(seed, ties=ties)
    roc = roc_curve(d, same)
    fpr, tpr, _ = sk_roc_curve(same, -d.astype(np.float64), drop_intermediate=False)
    np.testing.assert_allclose(roc.fpr, fpr)
    np.testing.assert_allclose(roc.tpr, tpr)
    assert roc.auc == pytest.approx(roc_auc_score(same, -d.astype(np.float64)), abs=1e-12)
    assert roc.eer == pytest.approx(loop_eer(roc.fpr, roc.tpr), abs=1e-12)
    assert 0 < roc.eer < 0.5


def loop_eer(fpr, tpr):
    """Walk the ROC segments; on the one where FAR - FRR changes sign, solve FAR = FRR."""
    for i in range(1, len(fpr)):
        g0 = fpr[i - 1] - (1 - tpr[i - 1])
        g1 = fpr[i] - (1 - tpr[i])
        if g0 < 0 <= g1:
            w = -g0 / (g1 - g0)
            far = fpr[i - 1] + w * (fpr[i] - fpr[i - 1])
            frr = 1 - (tpr[i - 1] + w * (tpr[i] - tpr[i - 1]))
            assert abs(far - frr) < 1e-12
            return far
    raise AssertionError("no crossing")


def loop_best_threshold(d, same):
    best_t, best_acc = None, -1
    for t in candidate_thresholds(d):
        acc = sum(1 for x, s in zip(d, same, strict=True) if (x <= t) == s)
        if acc > best_acc:
            best_t, best_acc = t, acc
    return best_t


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_best_threshold_against_loop_and_grid(seed, ties):
    d, same = _data(seed, n=200, ties=ties)
    t = best_accuracy_threshold(d, same)
    assert t == loop_best_threshold(d.astype(np.float64), same)
    acc = np.mean((d <= t) == same)
    grid = np.arange(-0.5, 3.5, 0.001)
    grid_best = np.max(np.mean((d[None, :] <= grid[:, None]) == same[None, :], axis=1))
    assert acc >= grid_best


def test_val_far_threshold():
    e = np.array([0.5, 0.1, 0.3, 0.2, 0.4, 0.9, 0.8, 0.7, 0.6, 1.0])
    assert val_far_threshold(e, 0.25) == pytest.approx(0.2 + 0.5 * 0.1)  # k = 2.5
    assert val_far_threshold(e, 0.3) == pytest.approx(0.3)  # k = 3 exactly: FAR = 0.3
    t = val_far_threshold(e, 0.05)  # k < 1: accept no impostor
    assert t < 0.1 and np.mean(e <= t) == 0
    assert val_far_threshold(e, 1.0) == 1.0
    rng = np.random.default_rng(1)
    e = rng.random(2700)
    for target in (1e-3, 1e-2, 0.1):
        assert np.mean(e <= val_far_threshold(e, target)) <= target
