"""The one error raised for any image that cannot be read."""

from __future__ import annotations

import os


class ImageLoadError(Exception):
    """An image file could not be loaded; ``reason`` is short and human readable.

    ``str(err)`` is ``"<path>: <reason>"``. Picklable (safe across process pools).
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(os.fspath(path), reason)
        self.path = os.fspath(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
