"""BCubed and pairwise F1: vectorised versions against plain O(n^2) loops."""

from __future__ import annotations

import numpy as np
import pytest

from core.evaluation.clustering import bcubed, pairwise_f1, score_clustering


def loop_bcubed(t, p):
    n = len(t)
    prec = rec = 0.0
    for i in range(n):
        same_pred = [j for j in range(n) if p[j] == p[i]]
        same_true = [j for j in range(n) if t[j] == t[i]]
        correct = sum(1 for j in same_pred if t[j] == t[i])
        prec += correct / len(same_pred)
        rec += correct / len(same_true)
    prec, rec = prec / n, rec / n
    return prec, rec, 2 * prec * rec / (prec + rec)


def loop_pairwise(t, p):
    tp = pred = true = 0
    n = len(t)
    for i in range(n):
        for j in range(i + 1, n):
            tp += t[i] == t[j] and p[i] == p[j]
            pred += p[i] == p[j]
            true += t[i] == t[j]
    prec = tp / pred if pred else 1.0
    rec = tp / true if true else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


@pytest.mark.parametrize("seed", range(12))
def test_against_loops(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    t = rng.integers(0, int(rng.integers(1, 15)), n)
    p = rng.integers(-1, int(rng.integers(1, 15)), n)
    np.testing.assert_allclose(bcubed(t, p), loop_bcubed(t, p), rtol=1e-12)
    np.testing.assert_allclose(pairwise_f1(t, p), loop_pairwise(t, p), rtol=1e-12)


def test_string_labels_and_perfect_clustering():
    t = np.array(["a", "a", "b", "c", "c", "c"])
    p = np.array([7, 7, 3, 1, 1, 1])
    assert bcubed(t, p) == (1.0, 1.0, 1.0)
    assert pairwise_f1(t, p) == (1.0, 1.0, 1.0)
    s = score_clustering(t, p)
    assert (s.n_items, s.n_clusters, s.n_people) == (6, 3, 3)


def test_all_singletons_and_one_cluster():
    t = np.array([0, 0, 1, 1])
    p_single = np.arange(4)
    bp, br, _ = bcubed(t, p_single)
    assert bp == 1.0 and br == 0.5
    assert pairwise_f1(t, p_single)[:2] == (1.0, 0.0)
    assert pairwise_f1(t, np.zeros(4))[:2] == (2 / 6, 1.0)


def test_large_input_is_fast_and_exact():
    rng = np.random.default_rng(0)
    n = 200_000
    t = rng.integers(0, 20_000, n)
    p = np.where(rng.random(n) < 0.9, t, rng.integers(0, 20_000, n))
    bp, br, bf = bcubed(t, p)
    pp, pr, pf = pairwise_f1(t, p)
    assert 0.5 < bp < 1 and 0.5 < br < 1 and 0 < pf < 1
    # Relabelling predicted clusters changes nothing.
    perm = rng.permutation(20_000)
    assert bcubed(t, perm[p]) == pytest.approx((bp, br, bf))


def test_threshold_sweep_cut_equals_rerun():
    from core.clustering.agglomerative import cluster_faces
    from core.evaluation.clustering import threshold_sweep
    from core.evaluation.synthetic import synthetic_faces

    data = synthetic_faces(600, seed=4, dim=64)
    ts = [1.2, 1.0, 1.4]
    sweep = threshold_sweep(data.embeddings, data.labels, ts)
    assert [p.threshold for p in sweep] == sorted(ts)
    for p in sweep:
        rerun = cluster_faces(data.embeddings, p.threshold, mode="exact").labels
        assert p.score == score_clustering(data.labels, rerun)
    graph = threshold_sweep(data.embeddings, data.labels, [1.2], mode="graph")
    assert abs(graph[0].score.bcubed_f1 - sweep[1].score.bcubed_f1) < 0.02
