"""The ``faceorg`` command line. Each command group lives in its own module with a ``register``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Command modules, each exposing register(subparsers) that adds its commands with set_defaults(func=...).
COMMAND_MODULES = [
    "core.cli.faces",
    "core.cli.evaluate",
    "core.cli.library",
    "core.cli.people",
    "core.cli.grouping",
    "core.cli.train",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceorg", description="FaceNet Organizer command line.")
    parser.add_argument("--library", help="library file (default: FACEORG_LIBRARY or the user data dir)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a PostgreSQL library that cannot be reached: one line, password masked
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError) or not exc.connection_invalidated and "connect" not in str(exc):
            raise
        from core.storage.postgres import mask_url

        reason = (str(exc.orig) if exc.orig is not None else str(exc)).strip().splitlines()[0]
        print(f"faceorg: cannot use the library database: {mask_url(reason)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
