"""Stable cluster ids across clustering runs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping


def match_cluster_ids(old_labels_by_face: Mapping[int, int], new_labels: Mapping[int, int], *,
                      first_new_id: int | None = None) -> dict[int, int]:
    """Map each new cluster label to a persistent id.

    Only faces present in both runs count. A new cluster N may inherit old id O when their
    overlap is a strict majority of N's known faces or of O's surviving faces (Jaccard > 0.5
    implies both). Candidates are assigned one-to-one, greedily by overlap (larger first), then
    Jaccard, then smaller new label, then smaller old id. Every other new cluster gets a fresh id:
    ``first_new_id`` (default: 1 + the largest old id, or 0) and up, in new-label order.
    """
    overlap: Counter[tuple[int, int]] = Counter()
    new_known: Counter[int] = Counter()
    old_known: Counter[int] = Counter()
    for face, new in new_labels.items():
        old = old_labels_by_face.get(face)
        if old is None:
            continue
        overlap[(new, old)] += 1
        new_known[new] += 1
        old_known[old] += 1
    candidates = []
    for (new, old), c in overlap.items():
        if 2 * c > new_known[new] or 2 * c > old_known[old]:
            jaccard = c / (new_known[new] + old_known[old] - c)
            candidates.append((-c, -jaccard, new, old))
    candidates.sort()
    result: dict[int, int] = {}
    used: set[int] = set()
    for _, _, new, old in candidates:
        if new not in result and old not in used:
            result[new] = old
            used.add(old)
    old_ids = set(old_labels_by_face.values())
    next_id = first_new_id if first_new_id is not None else (max(old_ids) + 1 if old_ids else 0)
    taken = old_ids | set(result.values())
    members: defaultdict[int, int] = defaultdict(int)
    for new in new_labels.values():
        members[new] += 1
    for new in sorted(members):
        if new not in result:
            while next_id in taken:
                next_id += 1
            result[new] = next_id
            taken.add(next_id)
    return result
