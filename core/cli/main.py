"""The ``faceorg`` command line. Each command group lives in its own module with a ``register``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from core.cli import exitcodes

# Command modules, each exposing register(subparsers) that adds its commands with set_defaults(func=...).
COMMAND_MODULES = [
    "core.cli.faces",
    "core.cli.evaluate",
    "core.cli.library",
    "core.cli.people",
    "core.cli.grouping",
    "core.cli.train",
    "core.cli.metadata",
    "core.cli.roots",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceorg", description="FaceNet Organizer command line.",
                                     epilog=exitcodes.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", help="library file (default: FACEORG_LIBRARY or the user data dir)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _safe_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's own flush at exit
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return exitcodes.CANCELLED
    except BrokenPipeError:
        return _broken_pipe()
    except Exception as exc:  # the library's database failing mid-command: a full disk, a damaged file
        import errno
        import sqlite3
        from pathlib import Path

        from sqlalchemy.exc import DBAPIError

        from core.paths import default_library_path
        from core.storage.errors import library_error
        from core.storage.postgres import is_database_url, mask_url

        if isinstance(exc, DBAPIError) and (exc.connection_invalidated or "connect" in str(exc)) \
                and is_database_url(args.library or os.environ.get("FACEORG_LIBRARY")):
            reason = (str(exc.orig) if exc.orig is not None else str(exc)).strip().splitlines()[0]
            _say(f"faceorg: cannot use the library database: {mask_url(reason)}")
            return exitcodes.UNREACHABLE

        database = isinstance(exc, DBAPIError | sqlite3.Error)
        full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
        error = library_error(exc, Path(args.library or default_library_path()).expanduser()) \
            if database or full else None
        if error is None:
            raise
        _say(f"faceorg: {error}")
        return exitcodes.library_exit_code(error)


def _safe_output() -> None:
    """Text that cannot be encoded (a file name that is not UTF-8) is escaped, never an error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr)
    except OSError:
        pass


def _broken_pipe() -> int:
    """The reader went away: stop quietly, as Unix tools do (nothing more is written: Python's
    own flush at exit would fail again, so stdout is pointed at /dev/null)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return exitcodes.BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
