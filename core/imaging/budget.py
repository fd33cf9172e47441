"""Decode memory bounded by bytes, not pixels.

Pixel counts alone do not bound memory: a 381 KB 16-bit PNG of 14000 x 14000 (under the pixel
guard) once took 5.6 GB through float64 copies. :func:`decode_bytes` says what one decode takes
at its peak, and a :class:`ByteBudget` shared by the decoding threads makes a decode wait until
its share is free (the loader refuses an image that needs more than all of it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_STORED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "LA": 4, "PA": 4}


def decode_bytes(mode: str, width: int, height: int) -> int:
    """Memory a decode of this size and mode takes at its peak: the pixels as Pillow stores them
    (RGB uses 4 bytes a pixel) plus the 8-bit working copy (gray: 1 byte, else 4)."""
    stored = _STORED_BYTES.get(mode, 4)
    working = 1 if mode.startswith("I;16") or mode in ("I", "F", "L", "1") else 4
    return width * height * (stored + working)


class ByteBudget:
    """A counting semaphore in bytes, shared by the threads that decode."""

    def __init__(self, total: int) -> None:
        self.total, self.used = total, 0
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, n: int) -> Iterator[None]:
        n = min(n, self.total)
        with self._cond:
            self._cond.wait_for(lambda: self.used + n <= self.total)
            self.used += n
        try:
            yield
        finally:
            with self._cond:
                self.used -= n
                self._cond.notify_all()
