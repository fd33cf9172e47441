"""What every ``faceorg`` command shares: refusals (:class:`CliError`), subcommands that print them
(:func:`add_command`), opening the library (:func:`open_library_cli`, :func:`open_session`), Ctrl+C as
a clean cancel (:func:`sigint_cancels`), questions on a terminal and JSON output.

Exit codes of commands made with :func:`add_command`: 0 done, 1 refused or not found, 2 library locked
or newer, 3-6 a library that cannot be used (see :mod:`core.cli.exitcodes`).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from core.progress import CancelToken

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.storage.engine import Library


class CliError(Exception):
    """A refusal: printed as ``faceorg: <message>``, exit ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_command(subparsers: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int],
                text: str, json_flag: bool = False) -> argparse.ArgumentParser:
    """A subcommand whose errors print ``faceorg: ...`` and exit 1 (2: locked / unknown schema)."""
    p: argparse.ArgumentParser = subparsers.add_parser(name, help=text, description=text)
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON (stable keys)")
    p.set_defaults(func=_guarded(func))
    return p


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from core.library.people import NameTakenError, NotFoundError
        from core.library.undo import UndoConflictError

        try:
            return func(args)
        except CliError as exc:
            print(f"faceorg: {exc}", file=sys.stderr)
            return exc.code
        except (NotFoundError, NameTakenError, UndoConflictError, ValueError) as exc:
            print(f"faceorg: {exc.args[0] if exc.args else exc}", file=sys.stderr)
            return 1

    return run


@contextmanager
def open_library_cli(args: argparse.Namespace, *, write: bool) -> Iterator[Library]:
    """``args.library`` opened for writing (the writer lock) or read-only; refusals as CliError."""
    from core.cli.exitcodes import library_exit_code
    from core.paths import default_library_path
    from core.storage.engine import LibraryError, open_library
    from core.storage.lock import LibraryLockedError

    try:
        library = open_library(args.library, read_only=not write)
    except FileNotFoundError:
        raise CliError(f"no library at {args.library or default_library_path()}") from None
    except (LibraryLockedError, LibraryError) as exc:
        raise CliError(str(exc), library_exit_code(exc)) from None
    with library:
        yield library


@contextmanager
def open_session(args: argparse.Namespace, *, write: bool = True) -> Iterator[Session]:
    """One Session (one unit of work, committed at the end) on ``args.library``."""
    with open_library_cli(args, write=write) as library, library.session() as session:
        yield session


@contextmanager
def sigint_cancels(token: CancelToken) -> Iterator[None]:
    """The first Ctrl+C cancels cleanly (committed work stays); a second one interrupts."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()
        sys.stderr.write("\ncancelling (press Ctrl+C again to interrupt)...\n")

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: no signal handling
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def is_tty() -> bool:
    """Whether stdin is a terminal (questions may be asked)."""
    return bool(getattr(sys.stdin, "isatty", lambda: False)())


def ask(question: str) -> str:
    """Print ``question`` and read one answer line from stdin (lower case, stripped)."""
    print(question, end=" ", flush=True)
    line = sys.stdin.readline()
    return line.strip().lower()


def print_json(data: Any) -> None:
    """One JSON object on one line (file names that are not UTF-8 as ``\\udcNN``, see core.safetext)."""
    from core.safetext import json_dumps

    print(json_dumps(data))
