"""Which region names which face.

Rule (measured by ``python -m benchmarks.bench_metadata``, see BENCHMARKS.md): a region and a face are
candidates when their IoU is at least :data:`MIN_IOU`, or when the centre of the region lies inside
the face's box (a region drawn much larger or smaller than our detector's box, as other apps'
often are: on 1,000 regions redrawn at 0.5-2x size and shifted up to 30%, IoU >= 0.3 alone
missed 41% and IoU >= 0.5 77%; centre-inside found all, none on a wrong face, also in crowded
groups with faces 40 px apart). Candidates are
paired one to one, highest IoU first, so one region never names two faces and one face never
takes two regions.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.metadata.regions import Box, centre_inside, iou

MIN_IOU = 0.3


def candidate(region: Box, face: Box) -> float | None:
    """The pair's score (IoU) when the rule accepts it, else None."""
    score = iou(region, face)
    if score >= MIN_IOU or centre_inside(region, face):
        return score
    return None


def match(regions: Sequence[Box], faces: Sequence[Box]) -> list[int | None]:
    """For each region, the index of the face it names, or None (boxes in the same frame)."""
    pairs = []
    for i, r in enumerate(regions):
        for j, f in enumerate(faces):
            score = candidate(r, f)
            if score is not None:
                pairs.append((-score, i, j))
    pairs.sort()
    out: list[int | None] = [None] * len(regions)
    used: set[int] = set()
    for _, i, j in pairs:
        if out[i] is None and j not in used:
            out[i] = j
            used.add(j)
    return out
