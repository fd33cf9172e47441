"""Ids in batches small enough for one SQL ``IN (...)`` list (SQLite limits bound parameters)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

IN_LIST_SIZE = 500  # ids per IN (...) list


def chunks(ids: Iterable[int], size: int = IN_LIST_SIZE) -> Iterator[list[int]]:
    """``ids`` in lists of at most ``size`` (keeps IN (...) lists small)."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
