"""The one error raised for any image that cannot be read, and the one wording of an OSError."""

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


def os_error_reason(exc: OSError) -> str:
    """Why a file or folder could not be read, short and human readable (scanner, importer, loader)."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "not found"
    return f"unreadable ({exc.strerror or type(exc).__name__})"
