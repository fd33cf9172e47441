"""Why a library cannot be used, as one line: the reason, then what to do.

:func:`library_error` turns what SQLite, SQLAlchemy and the OS raise (``file is not a database``,
``database or disk is full``, ``attempt to write a readonly database``, ``PermissionError``, ...)
into one of the :class:`LibraryError` classes below; the CLI maps each class to its own exit code
and the app shows the same text in a dialog.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path


class LibraryError(RuntimeError):
    """A library that cannot be used as asked; ``str()`` is one line: reason, then what to do."""


class LibraryVersionError(LibraryError):
    """The file is not a library this version can open (newer, foreign or not upgraded)."""


class NotALibraryError(LibraryVersionError):
    """Not a FaceNet Organizer library: another program's database, a damaged or truncated
    library, or not a database at all. Nothing was written to it."""


class LibraryIsFolderError(LibraryError):
    """The library path names a folder."""


class LibraryReadOnlyError(LibraryError):
    """The library file, or the folder holding it, cannot be written."""


class DiskFullError(LibraryError):
    """The disk holding the library is full."""


def not_a_library(path: object, detail: str = "") -> NotALibraryError:
    why = f" ({detail})" if detail else ""
    return NotALibraryError(
        f"{path} is not a FaceNet Organizer library{why}: choose another file with --library, "
        "or restore it from a backup (a .backup-* copy beside it)")


def is_folder(path: Path) -> LibraryIsFolderError:
    return LibraryIsFolderError(
        f"{path} is a folder, not a library file: give a file name, e.g. --library {path / 'library.sqlite'}")


def read_only(path: Path, *, folder: bool) -> LibraryReadOnlyError:
    if folder:
        return LibraryReadOnlyError(
            f"the folder {path.parent} is read-only, so the library {path.name} cannot be written: "
            "make the folder writable or copy the library to a writable place")
    return LibraryReadOnlyError(
        f"the library {path} is read-only: make it writable (chmod u+w) or work on a copy")


def disk_full(path: Path) -> DiskFullError:
    return DiskFullError(
        f"the disk holding {path} is full: free some space and run the same command again "
        "(what was already saved is kept)")


def _folder_writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK) and not _read_only_mount(path.parent)


def read_only_folder(path: Path) -> bool:
    """True when this process cannot write in the folder holding ``path``."""
    return not _folder_writable(path)


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def library_error(exc: BaseException, path: Path) -> LibraryError | None:
    """The :class:`LibraryError` that explains ``exc`` (a database or OS error met while opening
    or writing the library at ``path``), or None when it is something else."""
    if isinstance(exc, LibraryError):
        return exc
    orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
    if isinstance(orig, BaseException):
        exc = orig
    text = str(exc).lower()
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return disk_full(path)
        if isinstance(exc, IsADirectoryError) or path.is_dir():
            return is_folder(path)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return read_only(path, folder=not _folder_writable(path) or not path.exists())
        return None
    if not isinstance(exc, sqlite3.Error):
        return None
    if "database or disk is full" in text or "disk i/o error" in text and _disk_full(path):
        return disk_full(path)
    if "not a database" in text or "malformed" in text or "disk image" in text:
        return not_a_library(path, "damaged, truncated or not a database")
    if "readonly" in text or "read-only" in text:
        return read_only(path, folder=not _folder_writable(path))
    if "unable to open database file" in text:
        if path.is_dir():
            return is_folder(path)
        if not _folder_writable(path):
            return read_only(path, folder=True)
    return None


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20
