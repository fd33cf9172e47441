"""User and photo constraints for face clustering, turned into starting clusters and forbidden pairs.

* must-link groups (faces the user assigned together) are merged first into one starting
  cluster ("slot"); overlapping groups join into one.
* cannot-link: ``(face, other_face)`` or ``(face, [faces...])`` (a face the user removed from a
  person, against that person's faces). Two slots holding a cannot-linked pair never share a cluster.
* same photo: faces with equal ``photo_ids`` never share a cluster.

Must-link wins: a cannot-link (or same-photo pair) inside one must-link group is ignored and
counted in ``n_ignored``. Slots are numbered by their smallest face index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

CannotLink = tuple[int, int] | tuple[int, Sequence[int]]


@dataclass(frozen=True)
class Slots:
    """Starting clusters: ``slot_of_face[i]`` in ``0..n_slots-1``; ``sizes[s]`` faces each."""

    slot_of_face: np.ndarray
    n_slots: int
    sizes: np.ndarray

    @property
    def all_singletons(self) -> bool:
        return self.n_slots == len(self.slot_of_face)


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel so clusters are numbered 0, 1, ... in order of their smallest member index."""
    labels = np.asarray(labels)
    if len(labels) == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inv.ravel()]


def make_slots(n: int, must_link: Iterable[Sequence[int]] | None = None) -> Slots:
    """Union the must-link groups (connected components); every other face is its own slot."""
    rows: list[int] = []
    cols: list[int] = []
    for group in must_link or ():
        g = [int(i) for i in group]
        if any(i < 0 or i >= n for i in g):
            raise IndexError(f"must-link face index out of range in {g[:5]}...")
        rows += g[:-1]
        cols += g[1:]
    if rows:
        graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        slot = canonical_labels(comp)
    else:
        slot = np.arange(n, dtype=np.int64)
    n_slots = int(slot.max()) + 1 if n else 0
    return Slots(slot_of_face=slot, n_slots=n_slots, sizes=np.bincount(slot, minlength=n_slots))


def cannot_link_pairs(cannot_link: Iterable[CannotLink] | None, slots: Slots) -> tuple[np.ndarray, int]:
    """Explicit cannot-links as unique slot pairs (a < b), and how many were ignored (same slot)."""
    a: list[int] = []
    b: list[int] = []
    n = len(slots.slot_of_face)
    for face, other in cannot_link or ():
        others = [int(o) for o in np.atleast_1d(np.asarray(other))]  # one face or several
        a += [int(face)] * len(others)
        b += others
    if not a:
        return np.zeros((0, 2), dtype=np.int64), 0
    fa, fb = np.asarray(a), np.asarray(b)
    if fa.min() < 0 or fb.min() < 0 or fa.max() >= n or fb.max() >= n:
        raise IndexError("cannot-link face index out of range")
    sa, sb = slots.slot_of_face[fa], slots.slot_of_face[fb]
    keep = sa != sb
    pairs = np.unique(np.stack([np.minimum(sa, sb), np.maximum(sa, sb)], 1)[keep], axis=0)
    return pairs.reshape(-1, 2), int((~keep).sum())


def same_photo_pairs(photo_ids: np.ndarray | None, slots: Slots) -> tuple[np.ndarray, int]:
    """Slot pairs (a < b) that share a photo, and how many same-photo face pairs lie inside a slot."""
    if photo_ids is None:
        return np.zeros((0, 2), dtype=np.int64), 0
    photo = np.asarray(photo_ids).ravel()
    if len(photo) != len(slots.slot_of_face):
        raise ValueError("photo_ids must have one entry per face")
    _, pcode = np.unique(photo, return_inverse=True)
    pcode = pcode.ravel()
    order = np.lexsort((slots.slot_of_face, pcode))
    p_sorted, s_sorted = pcode[order], slots.slot_of_face[order]
    bounds = np.flatnonzero(np.diff(p_sorted)) + 1
    out: list[np.ndarray] = []
    ignored = 0
    for grp in np.split(s_sorted, bounds):
        if len(grp) < 2:
            continue
        uniq, counts = np.unique(grp, return_counts=True)
        ignored += int((counts * (counts - 1) // 2).sum())
        if len(uniq) > 1:
            i, j = np.triu_indices(len(uniq), 1)
            out.append(np.stack([uniq[i], uniq[j]], 1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64), ignored
    return np.unique(np.concatenate(out), axis=0), ignored


def photo_codes(photo_ids: np.ndarray | None, n: int) -> np.ndarray | None:
    """Photo ids as int codes 0..P-1 (None stays None)."""
    if photo_ids is None:
        return None
    photo = np.asarray(photo_ids).ravel()
    if len(photo) != n:
        raise ValueError("photo_ids must have one entry per face")
    return np.unique(photo, return_inverse=True)[1].ravel().astype(np.int64)
