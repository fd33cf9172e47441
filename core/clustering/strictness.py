"""The grouping strictness names: one vocabulary for the library, the command line and the app.

Imports nothing (the app reads it at start, before numpy). The thresholds each name stands for are
in :mod:`core.clustering.presets`.
"""

from __future__ import annotations

from enum import StrEnum


class Strictness(StrEnum):
    """How readily faces are grouped: ``strict`` makes more, smaller groups; ``loose`` fewer, larger
    ones. A ``StrEnum``: members are the stored strings (``Strictness.NORMAL == "normal"``)."""

    STRICT = "strict"
    NORMAL = "normal"
    LOOSE = "loose"


#: The names in order, strict first (argparse ``choices``, the settings dialog's buttons).
STRICTNESS: tuple[str, ...] = tuple(s.value for s in Strictness)
DEFAULT_STRICTNESS: str = Strictness.NORMAL.value


def strictness_or_default(value: object) -> str:
    """``value`` if it names a strictness, else the default (a stored value from an older version)."""
    return str(value) if value in STRICTNESS else DEFAULT_STRICTNESS
