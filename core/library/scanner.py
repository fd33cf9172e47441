"""Recursive folder scan that streams candidate photo files with their size and mtime.

The scan only lists and stats; it never opens a file, so unchanged photos can be skipped
without being read. Whether a file is a photo is decided later by its content (see
:func:`core.imaging.loader.is_image_file`); ``image_ext`` only says whether its name
promises one. Rules:

* hidden files and folders (name starting with ".") and OS / NAS junk (Thumbs.db,
  desktop.ini, @eaDir, $RECYCLE.BIN, ...) are skipped;
* symbolic links are followed, to files and to folders; each folder is entered once
  (by device and inode), so link loops end;
* a folder that cannot be listed, a link that leads nowhere and a special file (FIFO, device,
  socket, or a link to one such as ``/dev/zero``) with a photo's name are reported as
  :class:`ScanError` items, never opened, and the scan goes on.

Paths are absolute, made of the root as resolved plus the names found below it (links
inside the tree are not resolved). Each folder is listed in name order.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.imaging.errors import os_error_reason
from core.imaging.formats import has_image_extension
from core.progress import CancelToken, check

#: Names (case-insensitive) skipped wherever they appear.
JUNK_NAMES = frozenset(name.casefold() for name in (
    "Thumbs.db", "ehthumbs.db", "desktop.ini", "@eaDir", "#recycle", "#snapshot", "$RECYCLE.BIN",
    "System Volume Information", "lost+found", "__MACOSX"))


@dataclass(frozen=True)
class ScanFile:
    """A regular file (or a link to one) that may be a photo."""

    path: str
    size: int
    mtime: float
    image_ext: bool


@dataclass(frozen=True)
class ScanError:
    """Something under a root that could not be scanned: an unreadable folder (``folder``
    True: what lies below it is unknown), a broken link."""

    path: str
    reason: str
    folder: bool = False


def is_skipped_name(name: str) -> bool:
    """Hidden entries and OS junk."""
    return name.startswith(".") or name.casefold() in JUNK_NAMES


def resolve_root(folder: str | os.PathLike[str]) -> Path:
    """The absolute, resolved form of a root folder, as used for stored paths."""
    return Path(folder).expanduser().resolve()


def scan(roots: Iterable[str | os.PathLike[str]], *,
         cancel: CancelToken | None = None) -> Iterator[ScanFile | ScanError]:
    """Stream every candidate file below ``roots`` (depth first, names sorted)."""
    visited: set[tuple[int, int]] = set()
    for root in roots:
        top = resolve_root(root)
        try:
            st = top.stat()
        except OSError as exc:
            yield ScanError(str(top), os_error_reason(exc), folder=True)
            continue
        if stat.S_ISREG(st.st_mode):
            yield ScanFile(str(top), st.st_size, st.st_mtime, has_image_extension(top.name))
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield ScanError(str(top), "not a folder or file")
            continue
        yield from _walk(str(top), st, visited, cancel)


def _walk(top: str, top_stat: os.stat_result, visited: set[tuple[int, int]],
          cancel: CancelToken | None) -> Iterator[ScanFile | ScanError]:
    stack = [(top, top_stat)]
    while stack:
        check(cancel)
        folder, st = stack.pop()
        key = (st.st_dev, st.st_ino)
        if key in visited:
            continue
        visited.add(key)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield ScanError(folder, os_error_reason(exc), folder=True)
            continue
        subfolders = []
        for entry in entries:
            if is_skipped_name(entry.name):
                continue
            try:
                est = entry.stat(follow_symlinks=True)
            except OSError as exc:
                if entry.is_symlink():
                    yield ScanError(entry.path, "broken link")
                else:
                    yield ScanError(entry.path, os_error_reason(exc))
                continue
            if stat.S_ISDIR(est.st_mode):
                subfolders.append((entry.path, est))
            elif stat.S_ISREG(est.st_mode):
                yield ScanFile(entry.path, est.st_size, est.st_mtime, has_image_extension(entry.name))
            elif has_image_extension(entry.name):
                yield ScanError(entry.path, f"not a regular file ({_kind(est.st_mode)})")
        stack.extend(reversed(subfolders))  # first name is walked first


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "special file"
