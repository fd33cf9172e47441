"""Seed split and kNN identification (against a plain loop)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from core.evaluation.identification import knn_identify, knn_predict, seed_split
from core.paths import lfw_default

LFW = lfw_default()


def loop_knn(gallery, g_codes, queries, k):
    preds = []
    for q in queries:
        d = [float(((q.astype(np.float64) - g.astype(np.float64)) ** 2).sum()) for g in gallery]
        order = sorted(range(len(d)), key=lambda i: (d[i], i))[:k]
        votes, dsum = defaultdict(int), defaultdict(float)
        for i in order:
            votes[g_codes[i]] += 1
            dsum[g_codes[i]] += d[i]
        preds.append(min(votes, key=lambda c: (-votes[c], dsum[c], c)))
    return np.array(preds)


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("seed", range(4))
def test_knn_predict_matches_loop(seed):
    rng = np.random.default_rng(seed)
    n_cls = 6
    centres = rng.normal(size=(n_cls, 16))
    g_codes = np.repeat(np.arange(n_cls), 5)
    gallery = _unit(centres[g_codes] + rng.normal(scale=1.2, size=(len(g_codes), 16)))
    queries = _unit(centres[rng.integers(0, n_cls, 40)] + rng.normal(scale=1.2, size=(40, 16)))
    preds = knn_predict(gallery, g_codes, n_cls, queries, (1, 2, 4, 7), block=16)
    for k in (1, 2, 4, 7):
        np.testing.assert_array_equal(preds[k], loop_knn(gallery, g_codes, queries, k))


def test_knn_identify_chooses_k_on_validation():
    rng = np.random.default_rng(5)
    names = np.array(["ann", "bob", "cy", "dee"])
    centres = rng.normal(size=(4, 32))

    def sample(per):
        y = np.repeat(np.arange(4), per)
        return _unit(centres[y] + rng.normal(scale=0.9, size=(len(y), 32))), names[y]

    g, gy = sample(10)
    v, vy = sample(5)
    t, ty = sample(5)
    res = knn_identify(g, gy, v, vy, t, ty)
    assert set(res.val_accuracy_by_k) == {1, 3, 5, 7, 9}
    best = max(res.val_accuracy_by_k.values())
    assert res.k == min(k for k, a in res.val_accuracy_by_k.items() if a == best)
    assert res.test_accuracy == res.test_accuracy_by_k[res.k]
    assert res.test_accuracy == pytest.approx(np.mean(res.test_predictions == ty))
    assert res.n_classes == 4 and res.test_accuracy > 0.5


def test_seed_split_small_tree(tmp_path: Path):
    for name, n in [("Bo", 21), ("Al", 20), ("Cy", 19)]:
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(1, n + 1):
            (tmp_path / "images" / name / f"{name}_{i:04d}.jpg").write_bytes(b"")
    s = seed_split(tmp_path)
    assert s.people == ["Al", "Bo"]
    assert [p.name for p, _ in s.gallery[:2]] == ["Al_0001.jpg", "Al_0002.jpg"]
    assert [p.name for p, _ in s.validation if _ == "Bo"][0] == "Bo_0011.jpg"
    assert [p.name for p, _ in s.test if _ == "Bo"][-1] == "Bo_0020.jpg"
    assert (len(s.gallery), len(s.validation), len(s.test)) == (20, 10, 10)


@pytest.mark.skipif(LFW is None, reason="LFW not found (set FACEORG_LFW or put it in ../shared/lfw)")
def test_seed_split_real_lfw():
    s = seed_split(LFW)
    assert len(s.people) == 62
    assert (len(s.gallery), len(s.validation), len(s.test)) == (620, 310, 310)
    assert all(p.is_file() for p, _ in s.test)
