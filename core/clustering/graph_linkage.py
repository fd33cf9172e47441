"""Average linkage restricted to a graph: the heap phase of scale mode (see :mod:`scale_mode`).

Clusters keep their mean vector (float32), size and mean squared norm, so the exact
average-linkage distance between any two clusters (mean squared L2 over all member pairs) is
``msq_A + msq_B - 2 <mean_A, mean_B>``, computed in O(d). The graph only decides
which cluster pairs are candidates: two clusters are adjacent when some members are kNN
neighbours. Candidate pairs sit in a heap keyed by that exact distance; the closest one at or
below the threshold is merged (unless a constraint forbids it, in which case the edge is
dropped for good, since constraints only grow with merges), and the merged cluster's distances
to the union of both neighbourhoods are recomputed. Each cluster caches its nearest neighbour
(lazily refreshed), so the heap holds about one live entry per cluster. Memory is O(n d + n k).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from core.clustering.exact_linkage import Merges
from core.clustering.rnn_rounds import pair_distances
from core.progress import CancelToken, ProgressFn, check, report


@dataclass(frozen=True)
class GraphLinkageResult:
    merges: Merges
    refused: int  # candidate merges refused by constraints
    removed: np.ndarray | None = None  # cluster pairs whose edge a constraint removed (heap phase)


class _State:
    """Clusters (slots), lazily built adjacency sets and each cluster's cached nearest neighbour.

    The input edges live in CSR arrays; a cluster's Python set is built on first use, mapping
    stale neighbour ids through the merges made since (``moved``). Most clusters are never
    touched in the heap phase, so most sets are never built."""

    def __init__(self, means: np.ndarray, size: np.ndarray, msq: np.ndarray, edges: np.ndarray) -> None:
        m = len(size)
        self.means, self.size, self.msq = means, size, msq
        src = np.concatenate([edges[:, 0], edges[:, 1]])
        order = np.argsort(src, kind="stable")
        self.nbr = np.concatenate([edges[:, 1], edges[:, 0]])[order]
        self.ptr = np.searchsorted(src[order], np.arange(m + 1))
        self.sets: dict[int, set[int]] = {}
        self.moved: dict[int, int] = {}  # merged-away cluster -> the cluster it went into
        self.best = np.full(m, -1, dtype=np.int64)
        self.best_d = np.full(m, np.inf)
        # dirty[c]: best_d[c] is only a lower bound (c's nearest moved away); refreshed lazily
        # when c reaches the top of the heap, which most clusters never do.
        self.dirty = np.zeros(m, dtype=bool)
        self.stamp = np.zeros(m, dtype=np.int64)  # bumped whenever best changes; heap entries carry it
        self.heap: list[tuple[float, int, int]] = []

    def find(self, x: int) -> int:
        while x in self.moved:
            x = self.moved[x]
        return x

    def nbrs(self, c: int) -> set[int]:
        got = self.sets.get(c)
        if got is None:
            row = self.nbr[self.ptr[c]:self.ptr[c + 1]].tolist()
            got = {self.find(y) for y in row} if self.moved else set(row)
            got.discard(c)
            self.sets[c] = got
        return got

    def dist_to(self, c: int, nb: np.ndarray) -> np.ndarray:
        dots = (self.means[nb] @ self.means[c]).astype(np.float64)
        return np.maximum(self.msq[c] + self.msq[nb] - 2.0 * dots, 0.0)

    def set_best(self, c: int, b: int, d: float, t: float, *, dirty: bool = False) -> None:
        self.best[c] = b
        self.best_d[c] = d
        self.dirty[c] = dirty
        self.stamp[c] += 1
        if b >= 0 and d <= t:
            heapq.heappush(self.heap, (d, c, int(self.stamp[c])))

    def merge_into(self, keep: int, gone: int) -> None:
        n_k, n_g = self.size[keep], self.size[gone]
        w = n_g / (n_k + n_g)
        self.means[keep] = (1.0 - w) * self.means[keep].astype(np.float64) + w * self.means[gone]
        self.msq[keep] = (1.0 - w) * self.msq[keep] + w * self.msq[gone]
        self.size[keep] = n_k + n_g
        nk, ng = self.nbrs(keep), self.nbrs(gone)
        ng.discard(keep)
        nk.discard(gone)
        for x in ng:
            nx = self.sets.get(x)
            if nx is not None:  # unbuilt sets resolve ``gone`` through ``moved`` when built
                nx.discard(gone)
                nx.add(keep)
        nk |= ng
        del self.sets[gone]
        self.moved[gone] = keep
        self.stamp[gone] += 1

    def refresh(self, c: int, t: float) -> None:
        """Recompute c's nearest neighbour over its whole adjacency (ties: smaller id)."""
        nbrs = self.nbrs(c)
        if not nbrs:
            self.set_best(c, -1, np.inf, t)
            return
        nb = np.sort(np.fromiter(nbrs, dtype=np.int64, count=len(nbrs)))
        d = self.dist_to(c, nb)
        j = int(np.argmin(d))
        self.set_best(c, int(nb[j]), float(d[j]), t)


def graph_average_linkage(means: np.ndarray, size: np.ndarray, msq: np.ndarray, edges: np.ndarray,
                          threshold: float, **kwargs: Any) -> GraphLinkageResult:
    """Merge slots along ``edges``; see :func:`_graph_average_linkage` for the arguments.
    Runs with single-threaded BLAS: its products are tiny, and threads only stall on a busy machine."""
    with threadpool_limits(1):
        return _graph_average_linkage(means, size, msq, edges, threshold, **kwargs)


def _graph_average_linkage(means: np.ndarray, size: np.ndarray, msq: np.ndarray, edges: np.ndarray,
                          threshold: float, *, edge_dist: np.ndarray | None = None,
                          photos: list[set[int]] | None = None,
                          cannot: dict[int, set[int]] | None = None,
                          progress: ProgressFn | None = None,
                          cancel: CancelToken | None = None) -> GraphLinkageResult:
    """Merge slots along ``edges`` (unique pairs a < b). ``means`` (m x d, float32), ``size`` and
    ``msq`` (mean squared norm; both float64) are updated in place. ``photos[s]``: photo codes of slot s
    (disjointness required to merge); ``cannot[s]``: slots s may never join (kept symmetric).
    ``edge_dist``: known initial distances of ``edges`` (NaN = compute from the means).

    Each cluster caches its nearest adjacent cluster; a heap holds one live entry per cluster,
    so a merge costs O(|neighbourhood| d) plus a few heap operations."""
    m = len(size)
    st = _State(means, size, msq, edges)
    t = float(threshold)
    cannot = cannot if cannot is not None else {}
    d0 = np.full(len(edges), np.nan) if edge_dist is None else np.asarray(edge_dist, dtype=np.float64)
    todo = np.flatnonzero(np.isnan(d0))
    if len(todo):
        d0[todo] = pair_distances(st.means, st.msq, edges[todo, 0], edges[todo, 1])
    if len(edges):  # initial nearest neighbours: both directions, by (source, distance, neighbour)
        src = np.concatenate([edges[:, 0], edges[:, 1]])
        dst = np.concatenate([edges[:, 1], edges[:, 0]])
        dd = np.concatenate([d0, d0])
        order = np.lexsort((dst, dd, src))
        first = order[np.r_[True, src[order][1:] != src[order][:-1]]]
        st.best[src[first]] = dst[first]
        st.best_d[src[first]] = dd[first]
        live = first[dd[first] <= t]
        st.heap = [(float(dd[i]), int(src[i]), 0) for i in live]
        heapq.heapify(st.heap)
    ma: list[int] = []
    mb: list[int] = []
    mh: list[float] = []
    refused = 0
    removed: list[tuple[int, int]] = []
    pops = 0
    heap = st.heap
    while heap:
        d, c, stamp = heapq.heappop(heap)
        pops += 1
        if pops % 4096 == 0:
            check(cancel)
            report(progress, len(ma), m, "merging")
        if stamp != st.stamp[c] or c in st.moved:
            continue
        if d > t:
            break
        if st.dirty[c]:
            st.refresh(c, t)
            continue
        o = int(st.best[c])
        if (photos is not None and not photos[c].isdisjoint(photos[o])) or o in cannot.get(c, ()):
            st.nbrs(c).discard(o)
            st.nbrs(o).discard(c)
            removed.append((min(c, o), max(c, o)))
            refused += 1
            st.refresh(c, t)
            if st.best[o] == c:
                st.refresh(o, t)
            continue
        # Keep the slot with the larger neighbourhood; move the other one into it.
        keep, gone = (c, o) if len(st.nbrs(c)) >= len(st.nbrs(o)) else (o, c)
        st.merge_into(keep, gone)
        nk = st.nbrs(keep)
        if photos is not None:
            photos[keep] |= photos[gone]
        if gone in cannot:
            for x in cannot.pop(gone):
                cannot[x].discard(gone)
                cannot[x].add(keep)
                cannot.setdefault(keep, set()).add(x)
        ma.append(keep)
        mb.append(gone)
        mh.append(d)
        if not nk:
            st.set_best(keep, -1, np.inf, t)
            continue
        nb = np.sort(np.fromiter(nk, dtype=np.int64, count=len(nk)))
        dist = st.dist_to(keep, nb)
        j = int(np.argmin(dist))
        st.set_best(keep, int(nb[j]), float(dist[j]), t)
        old_best, old_d = st.best[nb], st.best_d[nb]
        lost = (old_best == keep) | (old_best == gone)
        better = (dist < old_d) | ((dist == old_d) & (keep < old_best))
        for x, dx in zip(nb[better | (lost & (dist <= old_d))].tolist(),
                         dist[better | (lost & (dist <= old_d))].tolist(), strict=True):
            st.set_best(x, keep, dx, t)  # the merged cluster is (still) x's nearest
        for x, lb in zip(nb[lost & (dist > old_d)].tolist(), old_d[lost & (dist > old_d)].tolist(),
                         strict=True):
            st.set_best(x, keep, lb, t, dirty=True)  # x's nearest grew away: old distance = bound
    report(progress, len(ma), m, "merging")
    merges = Merges(a=np.asarray(ma, dtype=np.int64), b=np.asarray(mb, dtype=np.int64),
                    height=np.asarray(mh, dtype=np.float64))
    return GraphLinkageResult(merges=merges, refused=refused,
                              removed=np.asarray(removed, dtype=np.int64).reshape(-1, 2))
