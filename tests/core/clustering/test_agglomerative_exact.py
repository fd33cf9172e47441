"""Exact mode against scipy and a plain greedy loop; constraints in both modes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist

from core.clustering.agglomerative import cluster_faces
from core.clustering.constraints import canonical_labels
from core.clustering.presets import CLUSTER_FACTORS, GroupingThresholds
from core.progress import Cancelled, CancelToken


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def blobs(n_people=12, per=8, dim=24, noise=0.9, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_people), per)
    x = rng.normal(size=(n_people, dim))[y] + rng.normal(scale=noise, size=(len(y), dim))
    return _unit(x), y


def loop_greedy(x, t, forbidden=(), must=()):
    """Plain greedy average linkage on squared L2 with constraints: O(n^4), tiny inputs only."""
    n = len(x)
    d = [[float(((x[i].astype(np.float64) - x[j]) ** 2).sum()) for j in range(n)] for i in range(n)]
    bad = {frozenset(p) for p in forbidden}
    clusters = [[i] for i in range(n)]
    for g in must:
        merged = sorted({i for c in clusters if set(c) & set(g) for i in c})
        clusters = [c for c in clusters if not set(c) & set(g)] + [merged]
    while True:
        best = None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                ca, cb = clusters[a], clusters[b]
                if any(frozenset((i, j)) in bad for i in ca for j in cb):
                    continue
                avg = sum(d[i][j] for i in ca for j in cb) / (len(ca) * len(cb))
                if best is None or avg < best[0]:
                    best = (avg, a, b)
        if best is None or best[0] > t:
            break
        _, a, b = best
        clusters[a] = clusters[a] + clusters[b]
        del clusters[b]
    labels = np.empty(n, dtype=np.int64)
    for c, members in enumerate(clusters):
        labels[members] = c
    return canonical_labels(labels)


def safe_thresholds(x, candidates):
    heights = linkage(pdist(x.astype(np.float64), "sqeuclidean"), "average")[:, 2]
    return [t for t in candidates if np.min(np.abs(heights - t)) > 1e-4]


def test_equals_scipy_average_linkage():
    x, _ = blobs(n_people=30, per=10, dim=32, seed=1)
    z = linkage(pdist(x.astype(np.float64), "sqeuclidean"), "average")
    ts = safe_thresholds(x, np.linspace(0.3, 2.2, 25))
    assert len(ts) > 15
    for t in ts:
        ours = cluster_faces(x, t, mode="exact")
        assert ours.mode == "exact"
        np.testing.assert_array_equal(ours.labels, canonical_labels(fcluster(z, t, "distance")), err_msg=str(t))
        assert ours.n_clusters == ours.labels.max() + 1


def test_cut_equals_rerun_in_exact_mode():
    x, _ = blobs(seed=2)
    full = cluster_faces(x, 1.8, mode="exact")
    for t in safe_thresholds(x, [0.6, 0.9, 1.2, 1.5]):
        np.testing.assert_array_equal(full.cut(t), cluster_faces(x, t, mode="exact").labels)


def _random_constraints(n, rng):
    photo = rng.integers(0, n // 2, n)
    cannot = [(int(a), int(b)) for a, b in rng.integers(0, n, (6, 2)) if a != b]
    group_face = int(rng.integers(0, n))
    group = [int(i) for i in rng.choice(n, 4, replace=False) if i != group_face]
    must = [[int(i) for i in rng.choice(n, 3, replace=False)] for _ in range(3)]
    return photo, cannot, (group_face, group), must


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["exact", "graph", "graph-heap-only"])
def test_constraints_against_greedy_loop(seed, mode):
    rng = np.random.default_rng(seed)
    x, _ = blobs(n_people=6, per=7, dim=12, noise=1.0, seed=seed)
    n = len(x)
    photo, cannot, (gf, group), must = _random_constraints(n, rng)
    # Keep must-link free of conflicts here so the loop and the code agree by construction.
    must_faces = {i for g in must for i in g}
    photo = np.where(np.isin(np.arange(n), list(must_faces)), n + np.arange(n), photo)
    cannot = [(a, b) for a, b in cannot if not ({a, b} <= must_faces)]
    forbidden = [(i, j) for i in range(n) for j in range(i + 1, n) if photo[i] == photo[j]]
    forbidden += cannot + [(gf, j) for j in group]
    knn = n - 1 if mode != "exact" else None  # complete graph: graph mode is exact greedy
    for t in (0.8, 1.2, 1.6):
        res = cluster_faces(x, t, mode="exact" if mode == "exact" else "graph", knn=knn,
                            rounds=mode == "graph", photo_ids=photo,
                            cannot_link=cannot + [(gf, group)], must_link=must)
        np.testing.assert_array_equal(res.labels, loop_greedy(x, t, forbidden, must))
        lab = res.labels
        for i, j in forbidden:
            assert lab[i] != lab[j]
        for g in must:
            assert len(set(lab[g])) == 1


@pytest.mark.parametrize("mode", ["exact", "graph"])
def test_same_photo_faces_never_merged_even_if_identical(mode):
    rng = np.random.default_rng(3)
    base = _unit(rng.normal(size=(40, 16)))
    x = np.concatenate([base, base])  # every face duplicated, both copies in one photo
    photo = np.concatenate([np.arange(40), np.arange(40)])
    res = cluster_faces(x, 3.9, mode=mode, knn=10 if mode == "graph" else None, photo_ids=photo)
    assert np.all(res.labels[:40] != res.labels[40:])
    free = cluster_faces(x, 1e-6, mode=mode, knn=10 if mode == "graph" else None)
    np.testing.assert_array_equal(free.labels[:40], free.labels[40:])


def test_must_link_wins_over_conflicts_and_is_counted():
    x, _ = blobs(n_people=3, per=4, dim=8, seed=4)
    res = cluster_faces(x, 0.01, mode="exact", photo_ids=[0, 0] + list(range(1, 11)),
                        cannot_link=[(0, 1), (2, 3)], must_link=[[0, 1], [1, 4], [2, 3]])
    assert res.labels[0] == res.labels[1] == res.labels[4] and res.labels[2] == res.labels[3]
    assert res.ignored_cannot_links == 3  # (0, 1) twice (photo + explicit), (2, 3) once
    assert res.n_clusters == 12 - 3


def test_small_inputs_units_and_presets():
    assert cluster_faces(np.zeros((0, 4)), 1.0).n_clusters == 0
    one = cluster_faces(_unit(np.ones((1, 4))), 1.0)
    assert one.labels.tolist() == [0]
    th = GroupingThresholds.calibrated(1.2).clustering
    assert th["strict"] < th["normal"] < th["loose"] and th["normal"] == pytest.approx(0.675 * 1.2)
    assert th == pytest.approx({k: f * 1.2 for k, f in CLUSTER_FACTORS.items()})
    with pytest.raises(ValueError):
        cluster_faces(_unit(np.ones((2, 4))), 1.0, linkage="single")


@pytest.mark.parametrize("mode", ["exact", "graph"])
def test_progress_and_cancel(mode):
    x, _ = blobs(n_people=40, per=15, dim=16, seed=5)
    seen = []
    cluster_faces(x, 1.0, mode=mode, progress=seen.append)
    assert seen and seen[-1].message == "done"
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        cluster_faces(x, 1.0, mode=mode, cancel=token)
