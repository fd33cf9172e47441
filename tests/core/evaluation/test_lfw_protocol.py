"""LFW protocol files, 10-fold verification (against a plain loop) and the ROC figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.evaluation.lfw import image_path, read_pairs, read_people, verify_10fold
from core.evaluation.roc_plot import roc_plot, roc_plot_many
from core.paths import lfw_default

LFW = lfw_default()
needs_lfw = pytest.mark.skipif(LFW is None,
                               reason="LFW not found (set FACEORG_LFW or put it in ../shared/lfw)")


def test_read_pairs_small(tmp_path: Path):
    f = tmp_path / "pairs.txt"
    f.write_text("2\t1\nAl\t1\t2\nBo\t1\tCy\t3\nDi\t2\t4\nEd\t10\tFo\t1\n")
    pairs = read_pairs(f)
    assert [(p.path_a, p.path_b, p.same, p.fold) for p in pairs] == [
        ("Al/Al_0001.jpg", "Al/Al_0002.jpg", True, 0),
        ("Bo/Bo_0001.jpg", "Cy/Cy_0003.jpg", False, 0),
        ("Di/Di_0002.jpg", "Di/Di_0004.jpg", True, 1),
        ("Ed/Ed_0010.jpg", "Fo/Fo_0001.jpg", False, 1),
    ]
    f.write_text("1\nAl\t1\t2\nBo\t1\tCy\t3\n")  # View 1 header: one count
    assert [p.fold for p in read_pairs(f)] == [0, 0]
    f.write_text("2\t1\nAl\t1\t2\n")
    with pytest.raises(ValueError):
        read_pairs(f)
    assert image_path("/x", "Al", 7) == Path("/x/images/Al/Al_0007.jpg")


def test_read_people_small(tmp_path: Path):
    f = tmp_path / "people.txt"
    f.write_text("2\n1\nAl\t3\n2\nBo\t1\nCy\t2\n")
    assert read_people(f) == [[("Al", 3)], [("Bo", 1), ("Cy", 2)]]
    f.write_text("2\nAl\t3\nBo\t1\n")
    assert read_people(f) == [[("Al", 3), ("Bo", 1)]]


def loop_verify(d, same, folds, far_target):
    """Plain-loop reference: same definitions as verify_10fold, no vectorisation."""
    accs, vals = [], []
    for f in sorted(set(folds)):
        train = [i for i in range(len(d)) if folds[i] != f]
        test = [i for i in range(len(d)) if folds[i] == f]
        uniq = sorted({d[i] for i in train})
        mids = [(a + b) / 2 for a, b in zip(uniq[:-1], uniq[1:], strict=True)]
        cands = [uniq[0] - 1.0] + mids + [uniq[-1] + 1.0]
        best_t, best_c = None, -1
        for t in cands:
            c = sum((d[i] <= t) == same[i] for i in train)
            if c > best_c:
                best_t, best_c = t, c
        accs.append(sum((d[i] <= best_t) == same[i] for i in test) / len(test))
        e = sorted(d[i] for i in train if not same[i])
        k = far_target * len(e)
        if k < 1:
            t_val = np.nextafter(e[0], -np.inf)
        else:
            lo = int(k)
            t_val = e[lo - 1] + (k - lo) * (e[lo] - e[lo - 1])
        pos = [i for i in test if same[i]]
        vals.append(sum(d[i] <= t_val for i in pos) / len(pos))
    return np.array(accs), np.array(vals)


@pytest.mark.parametrize("seed", range(3))
def test_verify_10fold_matches_loop(seed):
    rng = np.random.default_rng(seed)
    folds = np.repeat(np.arange(10), 40)
    same = np.tile(np.repeat([True, False], 20), 10)
    d = np.where(same, rng.normal(0.8, 0.3, 400), rng.normal(1.4, 0.3, 400)).astype(np.float32)
    res = verify_10fold(d, same, folds, far_target=0.01)
    accs, vals = loop_verify(d.astype(np.float64).tolist(), same.tolist(), folds.tolist(), 0.01)
    np.testing.assert_allclose(res.accuracy_per_fold, accs)
    np.testing.assert_allclose(res.val_per_fold, vals)
    assert res.accuracy_mean == pytest.approx(accs.mean())
    assert res.accuracy_std == pytest.approx(accs.std())
    assert res.threshold_mean == pytest.approx(res.threshold_per_fold.mean())
    assert 0.8 < res.auc <= 1 and 0 < res.eer < 0.3
    again = verify_10fold(d, same, folds, far_target=0.01)
    np.testing.assert_array_equal(again.threshold_per_fold, res.threshold_per_fold)


def test_roc_plot_writes_png(tmp_path: Path):
    rng = np.random.default_rng(0)
    same = np.tile([True, False], 100)
    d = np.where(same, rng.normal(0.8, 0.3, 200), rng.normal(1.4, 0.3, 200))
    res = verify_10fold(d, same, np.repeat(np.arange(10), 20))
    out = roc_plot(res, tmp_path / "roc.png", "synthetic")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out2 = roc_plot_many([(res, "a"), (res, "b")], tmp_path / "sub" / "roc_log.png", log_fpr=True)
    assert out2.stat().st_size > 1000


@needs_lfw
def test_real_pairs_file():
    pairs = read_pairs(LFW / "pairs.txt")
    assert len(pairs) == 6000
    assert len({p.fold for p in pairs}) == 10
    assert sum(p.same for p in pairs) == 3000
    assert all((LFW / "images" / p.path_a).is_file() for p in pairs[:50])
    dev = read_pairs(LFW / "pairsDevTest.txt")
    assert len(dev) == 1000 and {p.fold for p in dev} == {0}


@needs_lfw
def test_real_people_files():
    folds = read_people(LFW / "people.txt")
    assert len(folds) == 10
    dev = read_people(LFW / "peopleDevTest.txt")
    assert len(dev) == 1 and len(dev[0]) > 100
