"""Recognition: which named person (if any) is a face, by k-NN over the faces of named people,
with the face's group (its cluster among the faces still to recognise) as context.

Units: squared L2 between L2-normalised embeddings, as in :mod:`core.clustering.agglomerative`.

The gallery (faces of named people) is scanned in blocks of rows (one float32 matrix product per
block). Per row (face):

* ``distance``: distance to the nearest face of the best person (per-person minimum);
* ``second``: the same for the best *other* person (``inf`` if none);
* ``agree``: among the ``k`` nearest gallery faces within ``review`` distance, the share that
  belong to the best person (1.0 when none lies that close);
* ``group_distance`` / ``group_second``: over the rows of the face's group (``groups``: equal
  values form one group, e.g. the clusters of :func:`core.clustering.agglomerative.cluster_faces`),
  the mean per-person distance (each capped at ``cap``) to the face's best person / to the
  group's best other person. A lone face is its own group. One close face of a stranger's
  group is chance; a whole group close to a person is evidence;
* ``centroid``: distance to the best person's mean face (re-normalised).

A face is named automatically (``AUTO``) only when ``distance <= accept``, ``second - distance >=
margin``, ``agree >= min_agree``, and (if set) ``group_distance <= group_accept``, ``group_second -
group_distance >= group_margin`` and ``centroid <= centroid_accept``; otherwise it is a suggestion
to review (``REVIEW``) when ``distance <= review`` (and ``group_distance <= group_review`` if set),
else ``NONE`` (left for clustering).
``exclude`` removes people per row (a user's "not this person").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from core.progress import CancelToken, ProgressFn, check, report

NONE, REVIEW, AUTO = 0, 1, 2
MAX_BLOCK_VALUES = 32_000_000  # float32 distances held at once per block of rows
_FIELDS = ("person", "distance", "second", "agree", "group_distance", "group_second", "centroid", "decision")


@dataclass(frozen=True)
class RecognitionSettings:
    """Decision thresholds (squared L2) and k-NN parameters; see the module doc."""

    accept: float
    review: float
    margin: float
    group_accept: float | None = None
    group_margin: float = 0.0
    group_review: float | None = None
    cap: float = 4.0
    k: int = 5
    min_agree: float = 0.8
    centroid_accept: float | None = None
    block: int = 512

    def pivot(self) -> float:
        """The review queue's "most uncertain" distance: the middle of the review band."""
        return (self.accept + self.review) / 2.0

    def reach(self) -> float:
        """No gallery face farther than this from every row of a group changes the group's decisions."""
        grouped = self.group_accept is not None or self.group_review is not None
        return max(self.review, self.accept + self.margin, self.cap if grouped else 0.0)


@dataclass(frozen=True)
class Recognition:
    """Per row: best person label (-1: nobody), evidence, and the decision (see the module doc)."""

    person: np.ndarray          # int64
    distance: np.ndarray        # float32, inf when nobody
    second: np.ndarray          # float32
    agree: np.ndarray           # float32
    group_distance: np.ndarray  # float32
    group_second: np.ndarray    # float32
    centroid: np.ndarray        # float32
    decision: np.ndarray        # int8: NONE, REVIEW or AUTO

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class _Gallery:
    x: np.ndarray          # faces sorted by label
    sq: np.ndarray
    labels: np.ndarray     # sorted
    persons: np.ndarray    # unique labels
    starts: np.ndarray     # first column of each person
    centroids: np.ndarray  # unit mean per person


def take(rec: Recognition, rows: np.ndarray) -> Recognition:
    """The rows ``rows`` (a mask or indices) of ``rec``."""
    return Recognition(**{name: getattr(rec, name)[rows] for name in _FIELDS})


def _gallery(gallery: np.ndarray, labels: np.ndarray) -> _Gallery:
    order = np.argsort(labels, kind="stable")
    x = np.ascontiguousarray(gallery[order], dtype=np.float32)
    lab = np.asarray(labels, dtype=np.int64)[order]
    persons, starts = np.unique(lab, return_index=True)
    sums = np.add.reduceat(x.astype(np.float64), starts, axis=0)
    cent = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return _Gallery(x, (x * x).sum(1), lab, persons, starts, cent.astype(np.float32))


def _empty(m: int) -> Recognition:
    inf = np.full(m, np.inf, dtype=np.float32)
    return Recognition(np.full(m, -1, dtype=np.int64), inf, inf.copy(), np.ones(m, np.float32), inf.copy(),
                       inf.copy(), inf.copy(), np.zeros(m, dtype=np.int8))


def recognize(rows: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray, settings: RecognitionSettings,
              *, groups: np.ndarray | None = None, exclude: Mapping[int, Collection[int]] | None = None,
              progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Recognition:
    """Recognise ``rows`` (m x d) against ``gallery`` (n x d) labelled by person (``gallery_labels``).
    ``groups``: m group ids (None: every row alone); ``exclude[i]``: labels row ``i`` never gets."""
    q = np.ascontiguousarray(rows, dtype=np.float32)
    m = len(q)
    if m == 0 or len(gallery_labels) == 0:
        return _empty(m)
    g = _gallery(np.asarray(gallery, dtype=np.float32), np.asarray(gallery_labels))
    code = {int(p): i for i, p in enumerate(g.persons)}
    _, gid, gsize = np.unique(np.arange(m) if groups is None else np.asarray(groups), return_inverse=True,
                              return_counts=True)
    gid = gid.ravel()
    multi = np.full(len(gsize), -1, np.int64)
    multi[gsize > 1] = np.arange(int((gsize > 1).sum()))
    row_multi = multi[gid]
    sums = np.zeros((int((gsize > 1).sum()), len(g.persons)), np.float32)
    best = np.empty(m, np.int64)
    out = {name: np.empty(m, np.float32) for name in ("distance", "second", "agree")}
    k = max(1, min(settings.k, len(g.x)))
    q_sq = (q * q).sum(1)
    banned = {int(i): [code[int(p)] for p in b if int(p) in code] for i, b in (exclude or {}).items()}
    block = max(16, min(settings.block, MAX_BLOCK_VALUES // max(1, len(g.x))))  # ~128 MB of distances
    for lo in range(0, m, block):
        check(cancel)
        hi = min(lo + block, m)
        d = q[lo:hi] @ g.x.T
        d *= -2.0
        d += q_sq[lo:hi, None]
        d += g.sq[None, :]
        np.maximum(d, 0.0, out=d)
        per = np.minimum.reduceat(d, g.starts, axis=1)  # (b, persons)
        inside = row_multi[lo:hi] >= 0
        np.add.at(sums, row_multi[lo:hi][inside], np.minimum(per[inside], settings.cap))
        for i in range(lo, hi):
            if banned.get(i):
                per[i - lo, banned[i]] = np.inf
        r = np.arange(hi - lo)
        b = np.argmin(per, axis=1)
        best[lo:hi] = b
        out["distance"][lo:hi] = per[r, b]
        per[r, b] = np.inf
        out["second"][lo:hi] = per.min(axis=1)
        near = np.argpartition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else np.tile(np.arange(k), (hi - lo, 1))
        close = np.take_along_axis(d, near, axis=1) <= settings.review
        same = close & (g.labels[near] == g.persons[b][:, None])
        n_close = close.sum(1)
        out["agree"][lo:hi] = np.where(n_close > 0, same.sum(1) / np.maximum(n_close, 1), 1.0)
        report(progress, hi, m, "recognising faces")
    found = np.isfinite(out["distance"])
    person = np.where(found, g.persons[best], -1)
    gd, gs = _group_evidence(sums, gsize[gsize > 1], row_multi, best, out, settings.cap)
    centroid = np.where(found, ((q - g.centroids[best]) ** 2).sum(1), np.inf).astype(np.float32)
    gd[~found] = np.inf
    rec = dict(out, person=person, group_distance=gd, group_second=gs, centroid=centroid)
    return Recognition(**rec, decision=decide(Recognition(**rec, decision=np.zeros(m, np.int8)), settings))


def _group_evidence(sums: np.ndarray, sizes: np.ndarray, row_multi: np.ndarray, best: np.ndarray,
                    out: dict[str, np.ndarray], cap: float) -> tuple[np.ndarray, np.ndarray]:
    """(group_distance, group_second) per row: capped own values for lone rows, group means else."""
    gd = np.minimum(out["distance"], cap).astype(np.float32)
    gs = np.minimum(out["second"], cap).astype(np.float32)
    if len(sums) == 0:
        return gd, gs
    means = sums / sizes[:, None]
    top = np.argmin(means, axis=1)
    m1 = means[np.arange(len(means)), top]
    masked = means.copy()
    masked[np.arange(len(means)), top] = np.inf
    m2 = masked.min(axis=1) if means.shape[1] > 1 else np.full(len(means), np.inf, np.float32)
    rows = np.flatnonzero(row_multi >= 0)
    c = row_multi[rows]
    mine = means[c, best[rows]]
    is_top = best[rows] == top[c]
    gd[rows] = mine
    gs[rows] = np.where(is_top, m2[c], m1[c])
    return gd, gs


def decide(rec: Recognition, settings: RecognitionSettings) -> np.ndarray:
    """The AUTO / REVIEW / NONE decision from the evidence (vectorised; also used to re-tune)."""
    with np.errstate(invalid="ignore"):  # inf - inf: nobody left to compare with
        auto = (rec.distance <= settings.accept) & (rec.second - rec.distance >= settings.margin)
        auto &= rec.agree >= settings.min_agree
        if settings.group_accept is not None:
            auto &= (rec.group_distance <= settings.group_accept)
            auto &= rec.group_second - rec.group_distance >= settings.group_margin
    if settings.centroid_accept is not None:
        auto &= rec.centroid <= settings.centroid_accept
    review = rec.distance <= settings.review
    if settings.group_review is not None:
        review &= rec.group_distance <= settings.group_review
    out = np.where(review, REVIEW, NONE).astype(np.int8)
    out[auto] = AUTO
    return out


def within(rows: np.ndarray, points: np.ndarray, radius: float, *, block: int = 2048) -> np.ndarray:
    """Boolean mask of the rows that have at least one of ``points`` within ``radius``."""
    q = np.asarray(rows, dtype=np.float32)
    p = np.asarray(points, dtype=np.float32)
    out = np.zeros(len(q), dtype=bool)
    if len(q) == 0 or len(p) == 0:
        return out
    p_sq = (p * p).sum(1)
    for lo in range(0, len(q), block):
        part = q[lo:lo + block]
        d = (part * part).sum(1)[:, None] + p_sq[None, :] - 2.0 * (part @ p.T)
        out[lo:lo + block] = d.min(axis=1) <= radius
    return out


def recognize_growing(rows: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray,
                      settings: RecognitionSettings, *, groups: np.ndarray | None = None,
                      candidates: np.ndarray | None = None, exclude: Mapping[int, Collection[int]] | None = None,
                      grow_max: float | None = None, max_rounds: int = 100, progress: ProgressFn | None = None,
                      cancel: CancelToken | None = None) -> Recognition:
    """:func:`recognize`, then again with each round's newly named ``candidates`` (rows that may be
    named; default all, the others are context only) with ``distance <= grow_max`` (default: all)
    added to the gallery, until a round names nobody new. A named row stays named. Later rounds
    recompute only the groups with a row within :meth:`RecognitionSettings.reach` of a new gallery
    face, so the result equals one :func:`recognize` of every row against the final gallery (what
    the next run sees) for every row not named."""
    exclude = exclude or {}
    cand = np.ones(len(rows), bool) if candidates is None else np.asarray(candidates, bool)
    grp = np.arange(len(rows)) if groups is None else np.asarray(groups)
    res = recognize(rows, gallery, gallery_labels, settings, groups=grp, exclude=exclude, progress=progress,
                    cancel=cancel)
    fields = {name: getattr(res, name).copy() for name in _FIELDS}
    limit = settings.accept if grow_max is None else grow_max
    named = cand & (fields["decision"] == AUTO)
    new = np.flatnonzero(named & (fields["distance"] <= limit))
    g = np.asarray(gallery, dtype=np.float32)
    labels = np.asarray(gallery_labels, dtype=np.int64)
    for _ in range(max_rounds):
        if len(new) == 0 or named[cand].all():
            break
        check(cancel)
        g = np.concatenate([g, rows[new]])
        labels = np.concatenate([labels, fields["person"][new]])
        touched = within(rows, rows[new], settings.reach())
        if settings.centroid_accept is not None:
            touched |= np.isin(fields["person"], fields["person"][new])
        redo = np.flatnonzero(np.isin(grp, grp[touched]))
        sub = {j: exclude[int(i)] for j, i in enumerate(redo) if int(i) in exclude}
        r = recognize(rows[redo], g, labels, settings, groups=grp[redo], exclude=sub, cancel=cancel)
        keep = ~named[redo]
        for name in _FIELDS:
            fields[name][redo[keep]] = getattr(r, name)[keep]
        got = redo[keep & cand[redo] & (r.decision == AUTO)]
        named[got] = True
        new = got[fields["distance"][got] <= limit]
    fields["decision"][named] = AUTO
    return Recognition(**fields)
