"""RateMeter: the import speed from committed photos, smoothed, with no estimate until steady."""

from __future__ import annotations

import numpy as np

from core.library.import_rate import RateMeter


def _feed(meter: RateMeter, times: list[float], counts: list[int]) -> list[tuple[float | None, float | None]]:
    out = []
    for t, n in zip(times, counts, strict=True):
        meter.update(t, n)
        out.append((meter.rate, meter.eta(1000 - n)))
    return out


def test_no_rate_before_two_commits_and_no_eta_until_steady() -> None:
    meter = RateMeter()
    seen = _feed(meter, [0.0, 3.5, 3.6], [0, 64, 64])  # start-up, then the first commit
    assert all(rate is None and eta is None for rate, eta in seen)
    seen = _feed(meter, [3.6 + 7.1 * k for k in range(1, 4)], [64 + 64 * k for k in range(1, 4)])  # ~9 photos/s
    assert all(rate is not None for rate, _ in seen)
    assert seen[0][1] is None and seen[1][1] is None  # not steady yet: no estimate
    assert seen[2][1] is not None and abs(meter.rate - 64 / 7.1) < 0.05
    assert abs(seen[2][1] - (1000 - 256) / meter.rate) < 1e-6


def test_a_burst_does_not_show_as_the_speed() -> None:
    """A quick first batch (photos already decoded while the models loaded) then the real pace."""
    rng = np.random.default_rng(0)
    meter = RateMeter()
    t, n = 0.0, 0
    meter.update(t, n)
    t, n = 1.0, 64
    meter.update(t, n)
    t, n = 1.9, 128  # 71 photos/s for one batch
    meter.update(t, n)
    assert meter.eta(500) is None
    for _ in range(12):  # then 9 photos/s with some noise
        t += 64 / 9 * float(rng.uniform(0.9, 1.1))
        n += 64
        meter.update(t, n)
    assert 8.0 < meter.rate < 10.5
    assert meter.steady and meter.eta(900) is not None


def test_jumps_between_commits_keep_the_estimate_away() -> None:
    meter = RateMeter()
    t, n = 0.0, 64
    meter.update(t, n)
    for step in (1.0, 10.0, 1.0, 10.0, 1.0):  # 64/s, 6.4/s, ...: not steady
        t += step
        n += 64
        meter.update(t, n)
    assert meter.rate is not None and meter.eta(100) is None


def test_photos_already_stored_do_not_count_as_speed() -> None:
    """A second import of a folder: 5,000 unchanged photos are "done" at once, then the new ones."""
    meter = RateMeter()
    meter.update(0.0, 5000)
    meter.update(0.5, 5000)
    meter.update(4.0, 5064)  # first commit of this import: starts the clock
    assert meter.rate is None
    meter.update(11.0, 5128)
    assert abs(meter.rate - 64 / 7.0) < 1e-9
