"""The exit codes of ``faceorg`` (also in ``faceorg --help`` and the README), and the one-line
message for a library that cannot be used."""

from __future__ import annotations

OK = 0
REFUSED = 1  # a refusal or something not found (also "nothing to undo / redo": nothing changed)
LOCKED_OR_NEWER = 2  # the library is in use by another process, or written by a newer version
NOT_A_LIBRARY = 3  # another program's file, a damaged or truncated library, or not a database
IS_FOLDER = 4  # the library path is a folder
READ_ONLY = 5  # the library file or its folder cannot be written
DISK_FULL = 6  # no space left on the library's disk
UNREACHABLE = 7  # a PostgreSQL library or a Ray cluster that cannot be reached
CANCELLED = 130  # Ctrl+C; what was saved stays, the same command again carries on
BROKEN_PIPE = 141  # the output went away (e.g. `| head`): stopped quietly, as Unix tools do

EPILOG = f"""exit codes:
  {OK}    done (files that could not be read are reported, not fatal)
  {REFUSED}    refused, not found, no library, or nothing to undo/redo
  {LOCKED_OR_NEWER}    the library is in use by another process, or was written by a newer version
  {NOT_A_LIBRARY}    not a library: another program's file, damaged, truncated or not a database
  {IS_FOLDER}    the library path is a folder
  {READ_ONLY}    the library file or its folder is read-only
  {DISK_FULL}    the disk is full (what was saved is kept: free space, run the command again)
  {UNREACHABLE}    a PostgreSQL library or a Ray cluster (--cluster) that cannot be reached
  {CANCELLED}  cancelled with Ctrl+C (run the same command again to carry on)
  {BROKEN_PIPE}  the output was closed (e.g. piped into head); an import still finishes its work"""


def library_exit_code(exc: BaseException) -> int:
    """The exit code for a library that could not be opened or written (see the module doc)."""
    from core.storage.errors import (
        DiskFullError,
        LibraryIsFolderError,
        LibraryReadOnlyError,
        NotALibraryError,
    )

    for kind, code in ((NotALibraryError, NOT_A_LIBRARY), (LibraryIsFolderError, IS_FOLDER),
                       (LibraryReadOnlyError, READ_ONLY), (DiskFullError, DISK_FULL)):
        if isinstance(exc, kind):
            return code
    return LOCKED_OR_NEWER
