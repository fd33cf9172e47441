"""Vectorised first phase of graph average linkage: rounds of reciprocal-nearest-neighbour merges.

Each round finds every cluster's nearest adjacent cluster (over the kNN graph, exact average-
linkage distances from cluster means), merges all reciprocal pairs at or below the threshold
that no constraint forbids, contracts the graph and recomputes the distances of the edges that
touch a merged cluster. For a reducible linkage such as average linkage, merging reciprocal
nearest neighbours in any order builds the same hierarchy as merging the globally closest pair
first; on a complete graph the result equals greedy average linkage. Rounds stop once a round
merges fewer than ``min_fraction`` of the live clusters; the heap phase
(:mod:`core.clustering.graph_linkage`) finishes the long tail. All work is numpy over arrays of
edges and faces, so the bulk of the merges cost no Python per merge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.clustering.exact_linkage import Merges
from core.progress import CancelToken, ProgressFn, check, report


@dataclass(frozen=True)
class RoundsResult:
    merges: Merges
    edges: np.ndarray       # remaining edges (u < v) between live clusters
    edge_dist: np.ndarray   # their current average-linkage distances
    root: np.ndarray        # slot -> current cluster id (a slot id)
    refused: int
    rounds: int


def pair_distances(means: np.ndarray, msq: np.ndarray, a: np.ndarray, b: np.ndarray,
                   block: int = 65536) -> np.ndarray:
    """Average-linkage distances msq_a + msq_b - 2 <mean_a, mean_b> for index arrays a, b."""
    out = np.empty(len(a), dtype=np.float64)
    for i in range(0, len(a), block):
        sa, sb = a[i:i + block], b[i:i + block]
        dots = np.einsum("ij,ij->i", means[sa], means[sb])
        out[i:i + block] = msq[sa] + msq[sb] - 2.0 * dots
    return np.maximum(out, 0.0)


def contract_edges(eu: np.ndarray, ev: np.ndarray, ed: np.ndarray, rep: np.ndarray, old_size: np.ndarray,
                   size: np.ndarray, means: np.ndarray, msq: np.ndarray) -> tuple[np.ndarray, ...]:
    """Relabel edges (u < v, distance d) through ``rep`` (old cluster -> new cluster), dropping
    self-loops and merging parallel edges. A new pair's average-linkage distance is the
    size-weighted mean of its old pairs' distances (Lance-Williams) when the old edges cover every
    pair of old parts (their size products add up to the new size product); otherwise it is
    recomputed from the cluster means."""
    m = np.int64(len(rep))
    a, b = rep[eu], rep[ev]
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    weight = old_size[eu[keep]] * old_size[ev[keep]]
    key, inv = np.unique(lo * m + hi, return_inverse=True)
    inv = inv.ravel()
    covered = np.bincount(inv, weights=weight, minlength=len(key))
    total = np.bincount(inv, weights=weight * ed[keep], minlength=len(key))
    nu, nv = key // m, key % m
    out = total / np.maximum(covered, 1e-300)
    redo = np.flatnonzero(covered != size[nu] * size[nv])
    if len(redo):
        out[redo] = pair_distances(means, msq, nu[redo], nv[redo])
    return nu, nv, out


def _photo_conflicts(pu: np.ndarray, pv: np.ndarray, face_cluster: np.ndarray, photo: np.ndarray,
                     m: int) -> np.ndarray:
    """Mask over candidate pairs (pu[i], pv[i]) whose clusters share a photo."""
    pair_of = np.full(m, -1, dtype=np.int64)
    pair_of[pu] = np.arange(len(pu))
    pair_of[pv] = np.arange(len(pv))
    side = np.zeros(m, dtype=np.int64)
    side[pv] = 1
    p_face = pair_of[face_cluster]
    sel = p_face >= 0
    n_photos = int(photo.max()) + 1 if len(photo) else 1
    key = (p_face[sel] * n_photos + photo[sel]) * 2 + side[face_cluster[sel]]
    uniq = np.unique(key)
    both = uniq[1:][(uniq[1:] // 2) == (uniq[:-1] // 2)] // 2  # (pair, photo) seen on both sides
    bad = np.zeros(len(pu), dtype=bool)
    bad[both // n_photos] = True
    return bad


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def rnn_rounds(means: np.ndarray, size: np.ndarray, msq: np.ndarray, edges: np.ndarray,
               edge_dist: np.ndarray, threshold: float, *, slot_of_face: np.ndarray,
               photo: np.ndarray | None = None, cannot_pairs: np.ndarray | None = None,
               root: np.ndarray | None = None, cutoff: float = np.inf, min_fraction: float = 0.01,
               max_rounds: int = 200,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> RoundsResult:
    """Run merge rounds. ``means`` (float32), ``size`` and ``msq`` (float64) are updated in place;
    ``photo``: photo code per face; ``cannot_pairs``: slot pairs that may never share a cluster;
    ``root``: current cluster of each slot (default: every slot its own cluster); edges whose
    distance exceeds ``cutoff`` (>= threshold) are dropped after each contraction."""
    m = len(size)
    t = float(threshold)
    eu, ev = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64)
    ed = np.asarray(edge_dist, dtype=np.float64).copy()
    root = np.arange(m, dtype=np.int64) if root is None else np.asarray(root, dtype=np.int64).copy()
    cannot = np.zeros((0, 2), dtype=np.int64) if cannot_pairs is None else np.asarray(cannot_pairs)
    ma: list[np.ndarray] = []
    mb: list[np.ndarray] = []
    mh: list[np.ndarray] = []
    refused = 0
    alive = m
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007  (the count is returned)
        check(cancel)
        if len(eu) == 0:
            break
        src, dst, dd = np.concatenate([eu, ev]), np.concatenate([ev, eu]), np.concatenate([ed, ed])
        mind = np.full(m, np.inf)
        np.minimum.at(mind, src, dd)
        is_min = dd == mind[src]
        nn = np.full(m, m, dtype=np.int64)
        np.minimum.at(nn, src[is_min], dst[is_min])  # ties: smaller id
        u = np.flatnonzero((nn < m) & (mind <= t))
        v = nn[u]
        mutual = (nn[v] == u) & (u < v)
        pu, pv, pd = u[mutual], v[mutual], mind[u[mutual]]
        if len(pu) == 0:
            break
        bad = np.zeros(len(pu), dtype=bool)
        if photo is not None:
            bad |= _photo_conflicts(pu, pv, root[slot_of_face], photo, m)
        if len(cannot):
            ca, cb = root[cannot[:, 0]], root[cannot[:, 1]]
            bad |= np.isin(pu * m + pv, np.minimum(ca, cb) * m + np.maximum(ca, cb))
        if bad.any():  # constraints only grow with merges: drop these edges for good
            refused += int(bad.sum())
            drop = np.isin(eu * m + ev, pu[bad] * m + pv[bad])
            eu, ev, ed = eu[~drop], ev[~drop], ed[~drop]
            pu, pv, pd = pu[~bad], pv[~bad], pd[~bad]
        if len(pu) == 0:
            continue
        old_size = size.copy()
        w = (size[pv] / (size[pu] + size[pv]))[:, None]
        means[pu] = ((1.0 - w) * means[pu] + w * means[pv]).astype(np.float32)
        msq[pu] = (1.0 - w[:, 0]) * msq[pu] + w[:, 0] * msq[pv]
        size[pu] += size[pv]
        rep = np.arange(m, dtype=np.int64)
        rep[pv] = pu
        root = rep[root]
        ma.append(pu)
        mb.append(pv)
        mh.append(pd)
        alive -= len(pu)
        eu, ev, ed = contract_edges(eu, ev, ed, rep, old_size, size, means, msq)
        near = ed <= cutoff
        eu, ev, ed = eu[near], ev[near], ed[near]
        report(progress, m - alive, m, "merging")
        if len(pu) < min_fraction * alive:
            break
    merges = Merges(a=_cat(ma, np.int64), b=_cat(mb, np.int64), height=_cat(mh, np.float64))
    return RoundsResult(merges=merges, edges=np.stack([eu, ev], 1), edge_dist=ed, root=root,
                        refused=refused, rounds=rounds)
