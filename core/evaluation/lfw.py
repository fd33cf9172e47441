"""The LFW verification protocol (View 2, 10-fold), independent of how embeddings are made.

Files: ``pairs.txt`` / ``pairsDevTrain.txt`` / ``pairsDevTest.txt`` and ``people.txt`` /
``peopleDevTrain.txt`` / ``peopleDevTest.txt`` as distributed with LFW.

Distances are whatever the caller measures (this project: squared L2 between L2-normalised
embeddings, in [0, 4]); a pair is predicted "same person" iff ``distance <= threshold``.
:func:`verify_10fold` is exact and deterministic: it uses the pairs' own distances as candidate
thresholds rather than a grid. ROC, EER and VAL@FAR live in :mod:`core.evaluation.roc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.evaluation.roc import Roc, best_accuracy_threshold, roc_curve, val_far_threshold


@dataclass(frozen=True)
class Pair:
    """One LFW pair; paths are relative to ``<lfw>/images``, e.g. ``"Name/Name_0001.jpg"``."""

    path_a: str
    path_b: str
    same: bool
    fold: int


def rel_path(name: str, idx: int) -> str:
    """``"Name/Name_0001.jpg"``: the image path relative to ``<lfw>/images``."""
    return f"{name}/{name}_{int(idx):04d}.jpg"


def image_path(root: str | Path, name: str, idx: int) -> Path:
    """The image file of image number ``idx`` (1-based, as in the protocol files) of ``name``."""
    return Path(root) / "images" / rel_path(name, idx)


def _lines(path: str | Path) -> list[list[str]]:
    text = Path(path).read_text(encoding="utf-8")
    return [line.split() for line in text.splitlines() if line.strip()]


def read_pairs(path: str | Path) -> list[Pair]:
    """Parse ``pairs.txt`` (header ``"10\\t300"``: folds, pairs of each kind per fold) or a View 1
    file (header ``"500"``: one fold). Each fold lists its matched pairs (``name i j``) then its
    mismatched pairs (``name1 i name2 j``). Folds are numbered from 0 in file order."""
    rows = _lines(path)
    if not rows:
        raise ValueError(f"{path}: empty pairs file")
    header = [int(x) for x in rows[0]]
    n_folds, per_fold = (header[0], header[1]) if len(header) == 2 else (1, header[0])
    body = rows[1:]
    if len(body) != n_folds * 2 * per_fold:
        raise ValueError(f"{path}: expected {n_folds * 2 * per_fold} pairs, found {len(body)}")
    pairs: list[Pair] = []
    for i, row in enumerate(body):
        fold = i // (2 * per_fold)
        if len(row) == 3:
            name, a, b = row
            pairs.append(Pair(rel_path(name, int(a)), rel_path(name, int(b)), True, fold))
        elif len(row) == 4:
            name_a, a, name_b, b = row
            pairs.append(Pair(rel_path(name_a, int(a)), rel_path(name_b, int(b)), False, fold))
        else:
            raise ValueError(f"{path}: line {i + 2} is not a pair: {row!r}")
    return pairs


def read_people(path: str | Path) -> list[list[tuple[str, int]]]:
    """Parse ``people.txt`` (header = number of folds, each fold starting with its own count) or
    ``peopleDev*.txt`` (header = number of people, one fold). Returns folds of (name, n_images)."""
    rows = _lines(path)
    if not rows:
        raise ValueError(f"{path}: empty people file")
    first = int(rows[0][0])
    multi_fold = len(rows) > 1 and len(rows[1]) == 1
    folds: list[list[tuple[str, int]]] = []
    pos = 1
    for _ in range(first if multi_fold else 1):
        count = int(rows[pos][0]) if multi_fold else first
        pos += 1 if multi_fold else 0
        chunk = rows[pos:pos + count]
        if len(chunk) != count or any(len(r) != 2 for r in chunk):
            raise ValueError(f"{path}: malformed fold {len(folds)}")
        folds.append([(name, int(n)) for name, n in chunk])
        pos += count
    if pos != len(rows):
        raise ValueError(f"{path}: {len(rows) - pos} unexpected trailing lines")
    return folds


def pair_arrays(pairs: Sequence[Pair], index: Mapping[str, int]) -> tuple[np.ndarray, ...]:
    """``(a, b, same, fold)`` arrays of ``pairs``: the rows of each pair's two images (``index``: relative
    path -> row of an embedding matrix), whether they show the same person, and the pair's fold."""
    a = np.array([index[p.path_a] for p in pairs])
    b = np.array([index[p.path_b] for p in pairs])
    return a, b, np.array([p.same for p in pairs]), np.array([p.fold for p in pairs])


def pair_distances(embeddings: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The protocol's distance of each pair: squared L2 between rows ``a`` and ``b`` of ``embeddings``."""
    return ((embeddings[a] - embeddings[b]) ** 2).sum(1)


@dataclass(frozen=True)
class VerificationResult:
    """LFW 10-fold verification. ``*_std`` are ``np.std`` over folds (population std, ddof=0)."""

    accuracy_per_fold: np.ndarray
    accuracy_mean: float
    accuracy_std: float
    threshold_per_fold: np.ndarray
    threshold_mean: float
    far_target: float
    val_per_fold: np.ndarray
    far_per_fold: np.ndarray
    val_mean: float
    val_std: float
    far_mean: float
    roc: Roc
    n_pairs: int

    @property
    def auc(self) -> float:
        return self.roc.auc

    @property
    def eer(self) -> float:
        return self.roc.eer


def verify_10fold(distances: np.ndarray, same: np.ndarray, folds: np.ndarray,
                  far_target: float = 1e-3) -> VerificationResult:
    """Run the LFW protocol on precomputed pair distances.

    For each fold f (fold ids sorted ascending), using only the pairs of the other folds:

    * accuracy threshold: the threshold maximising training accuracy over all distinct cut
      points (midpoints between consecutive distinct training distances, plus one below and one
      above all of them; ties go to the smallest threshold); accuracy is then measured on fold f;
    * VAL@FAR: the threshold at which the training FAR equals ``far_target``, by linear
      interpolation of the sorted training impostor distances (see
      :func:`core.evaluation.roc.val_far_threshold`); VAL and FAR are then measured on fold f.

    ROC/AUC/EER are computed once over all pairs. Rows with non-finite distances are an error.
    """
    d = np.asarray(distances, dtype=np.float64).ravel()
    s = np.asarray(same, dtype=bool).ravel()
    f = np.asarray(folds).ravel()
    if not (len(d) == len(s) == len(f)):
        raise ValueError("distances, same and folds must have the same length")
    if not np.all(np.isfinite(d)):
        raise ValueError("distances must be finite")
    fold_ids = np.unique(f)
    if len(fold_ids) < 2:
        raise ValueError("need at least two folds")
    acc, thr, val, far = [], [], [], []
    for fid in fold_ids:
        test = f == fid
        train = ~test
        t = best_accuracy_threshold(d[train], s[train])
        pred = d[test] <= t
        thr.append(t)
        acc.append(float(np.mean(pred == s[test])))
        t_val = val_far_threshold(d[train & ~s], far_target)
        val.append(_rate(d[test & s], t_val))
        far.append(_rate(d[test & ~s], t_val))
    acc_a, thr_a, val_a, far_a = (np.asarray(x, dtype=np.float64) for x in (acc, thr, val, far))
    return VerificationResult(
        accuracy_per_fold=acc_a, accuracy_mean=float(acc_a.mean()), accuracy_std=float(acc_a.std()),
        threshold_per_fold=thr_a, threshold_mean=float(thr_a.mean()), far_target=float(far_target),
        val_per_fold=val_a, far_per_fold=far_a, val_mean=float(val_a.mean()),
        val_std=float(val_a.std()), far_mean=float(far_a.mean()),
        roc=roc_curve(d, s), n_pairs=len(d))


def _rate(d: np.ndarray, threshold: float) -> float:
    """Fraction of ``d`` accepted (``<= threshold``); 0 for an empty set."""
    return float(np.mean(d <= threshold)) if len(d) else 0.0
