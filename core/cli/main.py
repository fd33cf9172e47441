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
    "core.cli.metadata",
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


if __name__ == "__main__":
    sys.exit(main())
