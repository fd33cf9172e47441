"""Recognition: which named person (if any) is a face, by k-NN over the faces of named people.

Units: squared L2 between L2-normalised embeddings, as in :mod:`core.clustering.agglomerative`.

For every query face the gallery (faces of named people) is scanned in blocks of queries
(one float32 matrix product per block). Per query:

* ``distance``: distance to the nearest face of the best person (per-person minimum);
* ``second``: the same for the best *other* person (``inf`` if none);
* ``agree``: among the ``k`` nearest gallery faces that lie within ``review`` distance, the
  share that belong to the best person (1.0 when none lies that close);
* ``centroid``: distance to the best person's mean face (re-normalised).

A face is named automatically (``AUTO``) only when ``distance <= accept``, ``second - distance
>= margin``, ``agree >= min_agree`` and (if set) ``centroid <= centroid_accept``; otherwise it is
a suggestion to review (``REVIEW``) when ``distance <= review``, else ``NONE`` (left for
clustering). ``exclude`` removes people per query (a user's "not this person").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from core.progress import CancelToken, ProgressFn, check, report

NONE, REVIEW, AUTO = 0, 1, 2
MAX_BLOCK_VALUES = 32_000_000  # float32 distances held at once per block of queries


@dataclass(frozen=True)
class RecognitionSettings:
    """Decision thresholds (squared L2) and k-NN parameters; see the module doc."""

    accept: float
    review: float
    margin: float
    k: int = 5
    min_agree: float = 0.8
    centroid_accept: float | None = None
    block: int = 512

    def pivot(self) -> float:
        """The review queue's "most uncertain" distance: the middle of the review band."""
        return (self.accept + self.review) / 2.0

    def reach(self) -> float:
        """No gallery face farther than this from a query can change its decision."""
        return max(self.review, self.accept + self.margin)


@dataclass(frozen=True)
class Recognition:
    """Per query: best person label (-1: empty gallery), evidence, and the decision."""

    person: np.ndarray     # int64
    distance: np.ndarray   # float32, inf when no person
    second: np.ndarray     # float32
    agree: np.ndarray      # float32
    centroid: np.ndarray   # float32
    decision: np.ndarray   # int8: NONE, REVIEW or AUTO

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class _Gallery:
    x: np.ndarray          # faces sorted by label
    sq: np.ndarray
    labels: np.ndarray     # sorted
    persons: np.ndarray    # unique labels
    starts: np.ndarray     # first column of each person
    ends: np.ndarray
    centroids: np.ndarray  # unit mean per person


def _gallery(gallery: np.ndarray, labels: np.ndarray) -> _Gallery:
    order = np.argsort(labels, kind="stable")
    x = np.ascontiguousarray(gallery[order], dtype=np.float32)
    lab = np.asarray(labels, dtype=np.int64)[order]
    persons, starts, counts = np.unique(lab, return_index=True, return_counts=True)
    sums = np.add.reduceat(x.astype(np.float64), starts, axis=0) if len(x) else np.zeros((0, x.shape[1]))
    cent = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return _Gallery(x, (x * x).sum(1), lab, persons, starts, starts + counts, cent.astype(np.float32))


def _empty(m: int) -> Recognition:
    inf = np.full(m, np.inf, dtype=np.float32)
    return Recognition(np.full(m, -1, dtype=np.int64), inf, inf.copy(), np.ones(m, np.float32), inf.copy(),
                       np.zeros(m, dtype=np.int8))


def recognize(queries: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray,
              settings: RecognitionSettings, *, exclude: Mapping[int, Collection[int]] | None = None,
              progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Recognition:
    """Recognise ``queries`` (m x d) against ``gallery`` (n x d) labelled by person
    (``gallery_labels``, n ints). ``exclude[i]``: person labels query ``i`` must never get."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    m = len(q)
    labels = np.asarray(gallery_labels, dtype=np.int64)
    if m == 0 or len(labels) == 0:
        return _empty(m)
    g = _gallery(np.asarray(gallery, dtype=np.float32), labels)
    n_persons = len(g.persons)
    span = {int(p): (int(s), int(e)) for p, s, e in zip(g.persons, g.starts, g.ends, strict=True)}
    person = np.empty(m, np.int64)
    dist = np.empty(m, np.float32)
    second = np.empty(m, np.float32)
    agree = np.empty(m, np.float32)
    k = max(1, min(settings.k, len(g.x)))
    q_sq = (q * q).sum(1)
    banned_rows = np.array(sorted(i for i, b in (exclude or {}).items() if b), dtype=np.int64)
    block = max(16, min(settings.block, MAX_BLOCK_VALUES // max(1, len(g.x))))  # ~128 MB of distances
    for lo in range(0, m, block):
        check(cancel)
        hi = min(lo + block, m)
        d = q[lo:hi] @ g.x.T
        d *= -2.0
        d += q_sq[lo:hi, None]
        d += g.sq[None, :]
        np.maximum(d, 0.0, out=d)
        for i in banned_rows[np.searchsorted(banned_rows, lo):np.searchsorted(banned_rows, hi)]:
            for p in exclude[int(i)]:  # type: ignore[index]
                if int(p) in span:
                    s, e = span[int(p)]
                    d[i - lo, s:e] = np.inf
        per = np.minimum.reduceat(d, g.starts, axis=1)  # (b, persons)
        rows = np.arange(hi - lo)
        best = np.argmin(per, axis=1)
        dist[lo:hi] = per[rows, best]
        person[lo:hi] = g.persons[best]
        if n_persons > 1:
            per[rows, best] = np.inf
            second[lo:hi] = per.min(axis=1)
        else:
            second[lo:hi] = np.inf
        near = np.argpartition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else np.tile(np.arange(k), (hi - lo, 1))
        near_d = np.take_along_axis(d, near, axis=1)
        close = near_d <= settings.review
        same = close & (g.labels[near] == person[lo:hi, None])
        n_close = close.sum(1)
        agree[lo:hi] = np.where(n_close > 0, same.sum(1) / np.maximum(n_close, 1), 1.0)
        report(progress, hi, m, "recognising faces")
    found = np.isfinite(dist)
    person[~found] = -1
    cidx = np.searchsorted(g.persons, np.where(found, person, g.persons[0]))
    centroid = np.where(found, ((q - g.centroids[cidx]) ** 2).sum(1), np.inf).astype(np.float32)
    return Recognition(person, dist, second, agree, centroid, decide(dist, second, agree, centroid, settings))


def decide(distance: np.ndarray, second: np.ndarray, agree: np.ndarray, centroid: np.ndarray,
           settings: RecognitionSettings) -> np.ndarray:
    """The AUTO / REVIEW / NONE decision from the evidence (vectorised; also used to re-tune)."""
    with np.errstate(invalid="ignore"):  # inf - inf: nobody left to compare with
        gap = second - distance
    auto = (distance <= settings.accept) & (gap >= settings.margin) & (agree >= settings.min_agree)
    if settings.centroid_accept is not None:
        auto &= centroid <= settings.centroid_accept
    out = np.where(distance <= settings.review, REVIEW, NONE).astype(np.int8)
    out[auto] = AUTO
    return out


def within(queries: np.ndarray, points: np.ndarray, radius: float, *, block: int = 2048) -> np.ndarray:
    """Boolean mask of the queries that have at least one of ``points`` within ``radius``."""
    q = np.asarray(queries, dtype=np.float32)
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


def recognize_growing(queries: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray,
                      settings: RecognitionSettings, *, exclude: Mapping[int, Collection[int]] | None = None,
                      grow_max: float | None = None, max_rounds: int = 50, progress: ProgressFn | None = None,
                      cancel: CancelToken | None = None) -> Recognition:
    """:func:`recognize`, then again with each round's AUTO faces (those with ``distance <=
    grow_max``, default all) added to the gallery, until a round names nobody new. Later rounds
    look only at the queries a new gallery face could affect, so the result equals one
    :func:`recognize` of the remaining queries against the final gallery (what the next run sees)."""
    exclude = exclude or {}
    res = recognize(queries, gallery, gallery_labels, settings, exclude=exclude, progress=progress, cancel=cancel)
    fields = {name: getattr(res, name).copy() for name in
              ("person", "distance", "second", "agree", "centroid", "decision")}
    limit = settings.accept if grow_max is None else grow_max
    named = fields["decision"] == AUTO
    new = np.flatnonzero(named & (fields["distance"] <= limit))
    g = np.asarray(gallery, dtype=np.float32)
    labels = np.asarray(gallery_labels, dtype=np.int64)
    for _ in range(max_rounds):
        rest = np.flatnonzero(~named)
        if len(new) == 0 or len(rest) == 0:
            break
        check(cancel)
        g = np.concatenate([g, queries[new]])
        labels = np.concatenate([labels, fields["person"][new]])
        affected = within(queries[rest], queries[new], settings.reach())
        if settings.centroid_accept is not None:
            affected |= np.isin(fields["person"][rest], fields["person"][new])
        cand = rest[affected]
        if len(cand) == 0:
            break
        sub = {j: exclude[int(i)] for j, i in enumerate(cand) if int(i) in exclude}
        r = recognize(queries[cand], g, labels, settings, exclude=sub, cancel=cancel)
        for name in fields:
            fields[name][cand] = getattr(r, name)
        got = cand[r.decision == AUTO]
        named[got] = True
        new = got[fields["distance"][got] <= limit]
    return Recognition(**fields)


# -- calibration --------------------------------------------------------------------------------
# Every threshold is a factor times the LFW View-2 10-fold best-accuracy verification threshold
# t_v (squared L2) of the embedding pipeline; the factors are calibrated on LFW by
# benchmarks/bench_clustering.py (clustering: BCubed precision >= 0.97 at "normal") and
# benchmarks/bench_recognition.py (automatic naming precision >= 99.5%). t_v itself is re-measured
# by bench_clustering.py; 1.075 is the crop-margin-0.1, flip-averaged value of
# benchmarks/results/device-h200-sweep.json.
LFW_VERIFICATION_THRESHOLD = 1.075
CALIBRATION_VERSION = 2
# LFW (9,164 faces, 1,680 people): BCubed P / R / F1 = 0.991 / 0.48 / 0.65 (strict), 0.972 / 0.70 / 0.82
# (normal), 0.915 / 0.83 / 0.87 (loose; best F1 0.871); see benchmarks/results/clustering-lfw.json.
CLUSTER_FACTORS: dict[str, float] = {"strict": 0.50, "normal": 0.625, "loose": 0.725}
# LFW, 50 named clusters + 500 strangers (benchmarks/results/recognition-lfw.json): automatic naming
# precision 0.999, recall 0.91; held out (chosen on one half of the people, tested on the other) >= 0.997 / 0.94.
RECOGNITION_FACTORS: dict[str, float] = {"accept": 0.525, "review": 0.65, "margin": 0.20, "grow": 0.525}
MIN_CLUSTER_SIZE = 2


@dataclass(frozen=True)
class GroupingThresholds:
    """All grouping thresholds of a library (squared L2): clustering per strictness, recognition,
    and ``grow_max`` (automatically named faces up to this distance join the gallery)."""

    verification: float
    clustering: dict[str, float]
    recognition: RecognitionSettings
    grow_max: float
    min_cluster_size: int = MIN_CLUSTER_SIZE
    version: int = CALIBRATION_VERSION

    @classmethod
    def calibrated(cls, verification: float = LFW_VERIFICATION_THRESHOLD,
                   cluster_factors: Mapping[str, float] | None = None,
                   recognition_factors: Mapping[str, float] | None = None, **settings: float) -> GroupingThresholds:
        """Thresholds from ``verification`` (t_v) and the factor tables (defaults: the module's)."""
        t = float(verification)
        cf = {**CLUSTER_FACTORS, **(cluster_factors or {})}
        rf = {**RECOGNITION_FACTORS, **(recognition_factors or {})}
        clip = lambda f: float(np.clip(f * t, 0.0, 4.0))  # noqa: E731
        rec = RecognitionSettings(accept=clip(rf["accept"]), review=clip(rf["review"]),
                                  margin=clip(rf["margin"]), **settings)  # type: ignore[arg-type]
        return cls(verification=t, clustering={k: clip(v) for k, v in cf.items()}, recognition=rec,
                   grow_max=clip(rf["grow"]))

    def to_json(self) -> dict:
        """JSON-ready (stored in ``LibraryMeta["grouping"]``)."""
        return {"version": self.version, "verification": self.verification, "clustering": dict(self.clustering),
                "recognition": {k: getattr(self.recognition, k) for k in RecognitionSettings.__dataclass_fields__},
                "grow_max": self.grow_max, "min_cluster_size": self.min_cluster_size}

    @classmethod
    def from_json(cls, data: Mapping) -> GroupingThresholds:
        return cls(verification=float(data["verification"]),
                   clustering={str(k): float(v) for k, v in data["clustering"].items()},
                   recognition=RecognitionSettings(**data["recognition"]), grow_max=float(data["grow_max"]),
                   min_cluster_size=int(data.get("min_cluster_size", MIN_CLUSTER_SIZE)),
                   version=int(data.get("version", 0)))
