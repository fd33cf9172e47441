"""Average linkage restricted to a k-nearest-neighbour graph ("scale mode").

Clusters keep the sum of their vectors, their size and the sum of squared norms, so the exact
average-linkage distance between any two clusters (mean squared L2 over all member pairs) is
``q_A/n_A + q_B/n_B - 2 <S_A, S_B> / (n_A n_B)``, computed in O(d). The graph only decides
which cluster pairs are candidates: two clusters are adjacent when some members are kNN
neighbours. Candidate pairs sit in a heap keyed by that exact distance; the closest one at or
below the threshold is merged (unless a constraint forbids it, in which case the edge is
dropped for good, since constraints only grow with merges), and the merged cluster's distances
to the union of both neighbourhoods are recomputed. Memory is O(n d + n k).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from core.clustering.exact_linkage import Merges
from core.progress import CancelToken, ProgressFn, check, report


@dataclass(frozen=True)
class GraphLinkageResult:
    merges: Merges
    refused: int  # candidate merges refused by constraints


def slot_edges(indices: np.ndarray, distances: np.ndarray, slot_of_face: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """kNN face edges (n x k, -1 = none) as unique undirected slot pairs (a < b), with one face
    distance per pair (exact for two single-face slots; recompute others from sums)."""
    n, k = indices.shape
    src = np.repeat(np.arange(n), k)
    dst = indices.ravel()
    ok = dst >= 0
    a, b = slot_of_face[src[ok]], slot_of_face[dst[ok]]
    d = distances.ravel()[ok]
    keep = a != b
    lo, hi, d = np.minimum(a, b)[keep], np.maximum(a, b)[keep], d[keep]
    if len(lo) == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    key, first = np.unique(lo * np.int64(n + 1) + hi, return_index=True)
    return np.stack([key // (n + 1), key % (n + 1)], 1), d[first].astype(np.float64)


def _pair_distances(sums: np.ndarray, size: np.ndarray, sqsum: np.ndarray, a: np.ndarray,
                    b: np.ndarray, block: int = 32768) -> np.ndarray:
    out = np.empty(len(a), dtype=np.float64)
    for i in range(0, len(a), block):
        sa, sb = a[i:i + block], b[i:i + block]
        dots = np.einsum("ij,ij->i", sums[sa], sums[sb])
        out[i:i + block] = sqsum[sa] / size[sa] + sqsum[sb] / size[sb] - 2.0 * dots / (size[sa] * size[sb])
    return np.maximum(out, 0.0)


def graph_average_linkage(sums: np.ndarray, size: np.ndarray, sqsum: np.ndarray, edges: np.ndarray,
                          threshold: float, *, edge_dist: np.ndarray | None = None,
                          photos: list[set[int]] | None = None,
                          cannot: dict[int, set[int]] | None = None,
                          progress: ProgressFn | None = None,
                          cancel: CancelToken | None = None) -> GraphLinkageResult:
    """Merge slots along ``edges`` (unique pairs a < b). ``sums`` (m x d, float64) is modified in
    place. ``photos[s]``: photo codes of slot s (disjointness required to merge); ``cannot[s]``:
    slots s may never join (kept symmetric). ``edge_dist``: known initial distances of
    ``edges`` (NaN = compute from the sums)."""
    m = len(size)
    size = np.asarray(size, dtype=np.float64).copy()
    sqsum = np.asarray(sqsum, dtype=np.float64).copy()
    t = float(threshold)
    cannot = cannot if cannot is not None else {}
    adj: list[set[int] | None] = [set() for _ in range(m)]
    for a, b in edges.tolist():
        adj[a].add(b)  # type: ignore[union-attr]
        adj[b].add(a)  # type: ignore[union-attr]
    version = [0] * m
    d0 = np.full(len(edges), np.nan) if edge_dist is None else np.asarray(edge_dist, dtype=np.float64)
    todo = np.flatnonzero(np.isnan(d0))
    if len(todo):
        d0[todo] = _pair_distances(sums, size, sqsum, edges[todo, 0], edges[todo, 1])
    close = np.flatnonzero(d0 <= t)
    heap = [(float(d0[i]), int(edges[i, 0]), int(edges[i, 1]), 0, 0) for i in close]
    heapq.heapify(heap)
    ma: list[int] = []
    mb: list[int] = []
    mh: list[float] = []
    refused = 0
    pops = 0
    while heap:
        d, a, b, va, vb = heapq.heappop(heap)
        pops += 1
        if pops % 4096 == 0:
            check(cancel)
            report(progress, len(ma), m, "merging")
        if adj[a] is None or adj[b] is None or version[a] != va or version[b] != vb:
            continue
        if (photos is not None and not photos[a].isdisjoint(photos[b])) or b in cannot.get(a, ()):
            adj[a].discard(b)  # type: ignore[union-attr]
            adj[b].discard(a)  # type: ignore[union-attr]
            refused += 1
            continue
        # Keep the slot with the larger neighbourhood; move the other one into it.
        keep, gone = (a, b) if len(adj[a]) >= len(adj[b]) else (b, a)  # type: ignore[arg-type]
        nk, ng = adj[keep], adj[gone]
        assert nk is not None and ng is not None
        ng.discard(keep)
        nk.discard(gone)
        for c in ng:
            nc = adj[c]
            nc.discard(gone)  # type: ignore[union-attr]
            nc.add(keep)  # type: ignore[union-attr]
        nk |= ng
        adj[gone] = None
        sums[keep] += sums[gone]
        size[keep] += size[gone]
        sqsum[keep] += sqsum[gone]
        if photos is not None:
            photos[keep] |= photos[gone]
        if gone in cannot:
            for c in cannot.pop(gone):
                cannot[c].discard(gone)
                cannot[c].add(keep)
                cannot.setdefault(keep, set()).add(c)
        version[keep] += 1
        ma.append(keep)
        mb.append(gone)
        mh.append(d)
        if nk:
            nb = np.fromiter(nk, dtype=np.int64, count=len(nk))
            dots = sums[nb] @ sums[keep]
            dist = sqsum[keep] / size[keep] + sqsum[nb] / size[nb] - 2.0 * dots / (size[keep] * size[nb])
            vk = version[keep]
            for c, dc in zip(nb[dist <= t].tolist(), dist[dist <= t].tolist(), strict=True):
                heapq.heappush(heap, (max(dc, 0.0), keep, c, vk, version[c]) if keep < c
                               else (max(dc, 0.0), c, keep, version[c], vk))
    report(progress, len(ma), m, "merging")
    merges = Merges(a=np.asarray(ma, dtype=np.int64), b=np.asarray(mb, dtype=np.int64),
                    height=np.asarray(mh, dtype=np.float64))
    return GraphLinkageResult(merges=merges, refused=refused)
