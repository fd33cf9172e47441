"""How fast an import goes, from the photos it has committed: a smoothed rate, and an estimate of
the time left only once the rate is steady.

The importer's own figure counts photos decided, not stored, from the moment processing started:
the first photos come out of the detection window in a burst (71 photos/s on a machine that does
9), and model loading before the first commit drags it down on a second import. Here the rate is
measured only between commits (the photos that are really in the library), smoothed with an
exponential moving average whose weight follows the time between commits (``half_life_s``), and
there is no estimate until ``min_commits`` intervals over ``min_seconds`` were seen and the last
intervals agree within ``tolerance`` of the smoothed rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class RateMeter:
    """Feed :meth:`update` (time, photos committed so far); read :attr:`rate` and :meth:`eta`."""

    half_life_s: float = 5.0
    min_commits: int = 3
    min_seconds: float = 4.0
    tolerance: float = 0.5
    _base: int | None = None
    _t0: float | None = None
    _last_t: float = 0.0
    _last_done: int = 0
    _rate: float | None = None
    _intervals: int = 0
    _recent: list[float] = field(default_factory=list)

    def update(self, t: float, committed: int) -> None:
        """At time ``t`` (seconds, monotonic) ``committed`` photos are stored (the first call gives
        what was stored before this import's first commit)."""
        if self._base is None:  # what was stored before (files unchanged since the last import)
            self._base = committed
            return
        if self._t0 is None:  # the first commit starts the clock: what came before was start-up
            if committed > self._base:
                self._t0, self._last_t, self._last_done = t, t, committed
            return
        if committed <= self._last_done or t <= self._last_t:
            return
        dt = t - self._last_t
        instant = (committed - self._last_done) / dt
        if self._rate is None:
            self._rate = instant
        else:
            weight = 1.0 - 0.5 ** (dt / self.half_life_s)
            self._rate += weight * (instant - self._rate)
        self._intervals += 1
        self._recent = [*self._recent[-(self.min_commits - 1):], instant] if self.min_commits > 1 else [instant]
        self._last_t, self._last_done = t, committed

    @property
    def rate(self) -> float | None:
        """Smoothed photos per second (None before two commits)."""
        return self._rate

    @property
    def steady(self) -> bool:
        """Enough commits, over enough time, that agree with the smoothed rate."""
        if self._rate is None or self._t0 is None or self._rate <= 0:
            return False
        if self._intervals < self.min_commits or self._last_t - self._t0 < self.min_seconds:
            return False
        return all(abs(r - self._rate) <= self.tolerance * self._rate for r in self._recent)

    def eta(self, remaining: int) -> float | None:
        """Seconds left for ``remaining`` photos, or None while the rate is not steady."""
        if not self.steady or self._rate is None or remaining < 0:
            return None
        value = remaining / self._rate
        return value if math.isfinite(value) else None
