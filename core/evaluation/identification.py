"""The "seed" closed-set identification protocol on LFW and a kNN classifier to score it.

Split (deterministic, depends only on the file names present under ``<lfw>/images``): the
people with at least 20 ``.jpg`` images (62 people, 3,023 images in LFW), taken in sorted name
order; for each, the images sorted by file name: the first 10 are gallery, the next 5
validation, the next 5 test; the rest are unused. That gives 620 / 310 / 310 images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.progress import CancelToken, ProgressFn, check, report


@dataclass(frozen=True)
class SeedSplit:
    """(absolute image path, person name) lists; ``people`` in sorted order."""

    people: list[str]
    gallery: list[tuple[Path, str]]
    validation: list[tuple[Path, str]]
    test: list[tuple[Path, str]]


def seed_split(lfw_root: str | Path, *, min_images: int = 20, n_gallery: int = 10,
               n_val: int = 5, n_test: int = 5) -> SeedSplit:
    """The seed split described in the module docstring."""
    images = Path(lfw_root) / "images"
    if not images.is_dir():
        raise FileNotFoundError(f"no images/ folder in {lfw_root}")
    people: list[str] = []
    gallery: list[tuple[Path, str]] = []
    validation: list[tuple[Path, str]] = []
    test: list[tuple[Path, str]] = []
    for person_dir in sorted((p for p in images.iterdir() if p.is_dir()), key=lambda p: p.name):
        files = sorted((f for f in person_dir.iterdir() if f.suffix.lower() == ".jpg" and f.is_file()),
                       key=lambda f: f.name)
        if len(files) < max(min_images, n_gallery + n_val + n_test):
            continue
        name = person_dir.name
        people.append(name)
        gallery += [(f, name) for f in files[:n_gallery]]
        validation += [(f, name) for f in files[n_gallery:n_gallery + n_val]]
        test += [(f, name) for f in files[n_gallery + n_val:n_gallery + n_val + n_test]]
    return SeedSplit(people=people, gallery=gallery, validation=validation, test=test)


@dataclass(frozen=True)
class IdentificationResult:
    """kNN identification: ``k`` chosen on validation, ``test_accuracy`` measured with it."""

    k: int
    test_accuracy: float
    val_accuracy_by_k: dict[int, float]
    test_accuracy_by_k: dict[int, float]
    test_predictions: np.ndarray
    n_classes: int


def squared_l2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise squared L2 distances (rows of ``a`` x rows of ``b``), float64, clipped at 0."""
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    d = (a64 * a64).sum(1)[:, None] + (b64 * b64).sum(1)[None, :] - 2.0 * (a64 @ b64.T)
    return np.maximum(d, 0.0)


def knn_predict(gallery_emb: np.ndarray, gallery_codes: np.ndarray, n_classes: int,
                query_emb: np.ndarray, ks: Sequence[int], *, block: int = 1024,
                cancel: CancelToken | None = None) -> dict[int, np.ndarray]:
    """Predicted class codes for each k: majority vote of the k nearest gallery items
    (squared L2; equal distances ordered by gallery index). A tie in votes goes to the class
    with the smaller summed distance among its votes, then to the smaller class code."""
    ks = sorted({int(k) for k in ks})
    kmax = min(max(ks), len(gallery_codes))
    out = {k: np.empty(len(query_emb), dtype=np.int64) for k in ks}
    rows = np.arange(min(block, len(query_emb)))
    for start in range(0, len(query_emb), block):
        check(cancel)
        d = squared_l2(query_emb[start:start + block], gallery_emb)
        order = np.argsort(d, axis=1, kind="stable")[:, :kmax]
        nd = np.take_along_axis(d, order, axis=1)
        nc = gallery_codes[order]
        r = rows[:len(d)]
        for k in ks:
            kk = min(k, kmax)
            votes = np.zeros((len(d), n_classes))
            dsum = np.zeros((len(d), n_classes))
            for j in range(kk):
                np.add.at(votes, (r, nc[:, j]), 1.0)
                np.add.at(dsum, (r, nc[:, j]), nd[:, j])
            # Most votes first, then smallest distance sum; argmax takes the smallest code on ties.
            best = votes == votes.max(axis=1, keepdims=True)
            key = np.where(best, -dsum, -np.inf)
            out[k][start:start + len(d)] = np.argmax(key, axis=1)
    return out


def knn_identify(gallery_emb: np.ndarray, gallery_labels: Sequence, val_emb: np.ndarray,
                 val_labels: Sequence, test_emb: np.ndarray, test_labels: Sequence,
                 ks: Sequence[int] = (1, 3, 5, 7, 9), *, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> IdentificationResult:
    """Choose k on validation accuracy (ties: smaller k), report test accuracy with that k.
    Labels may be any sortable values (names or ints); class codes follow sorted label order."""
    classes, g_codes = np.unique(np.asarray(gallery_labels), return_inverse=True)
    val_y = np.asarray(val_labels)
    test_y = np.asarray(test_labels)
    report(progress, 0, 2, "validation")
    val_pred = knn_predict(gallery_emb, g_codes, len(classes), val_emb, ks, cancel=cancel)
    report(progress, 1, 2, "test")
    test_pred = knn_predict(gallery_emb, g_codes, len(classes), test_emb, ks, cancel=cancel)
    report(progress, 2, 2, "done")
    val_acc = {k: float(np.mean(classes[p] == val_y)) if len(val_y) else 0.0 for k, p in val_pred.items()}
    test_acc = {k: float(np.mean(classes[p] == test_y)) if len(test_y) else 0.0
                for k, p in test_pred.items()}
    best_k = min(val_acc, key=lambda k: (-val_acc[k], k))
    return IdentificationResult(k=best_k, test_accuracy=test_acc[best_k], val_accuracy_by_k=val_acc,
                                test_accuracy_by_k=test_acc, test_predictions=classes[test_pred[best_k]],
                                n_classes=len(classes))
