"""``faceorg import FOLDER...`` and ``faceorg status``: fill the library and look at it.

Exit codes: see :mod:`core.cli.exitcodes` (0 done: bad files are reported, not fatal; 1 no library
(status); 2 locked or newer; 3-6 a library that cannot be used; 130 cancelled; 141 broken pipe).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from types import FrameType
from typing import TYPE_CHECKING

from core.cli.exitcodes import library_exit_code
from core.cli.progressbar import ProgressBar, format_duration
from core.progress import CancelToken
from core.safetext import json_dumps, printable

if TYPE_CHECKING:
    from core.library.grouping import GroupingResult
    from core.library.importer import ImportReport
    from core.storage.engine import Library

MAX_LISTED_ERRORS = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import", help="import photo folders (again: only what changed)")
    p.add_argument("folders", nargs="+", metavar="FOLDER", help="folders (or photo files) to import")
    p.add_argument("--workers", type=int, default=None, help="decode+detect threads (default: min(4, CPUs))")
    p.add_argument("--detector", default="yunet", choices=["yunet", "mtcnn"])
    p.add_argument("--json", action="store_true", help="print the report as one JSON object (stable keys)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-group", action="store_true", help="skip recognising and grouping faces afterwards")
    p.set_defaults(func=run_import)

    s = subparsers.add_parser("status", help="library counts and the files that could not be imported")
    s.add_argument("--json", action="store_true", help="print one JSON object (stable keys)")
    s.set_defaults(func=run_status)


@contextmanager
def _sigint_cancels(token: CancelToken) -> Iterator[None]:
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


def run_import(args: argparse.Namespace) -> int:
    from core.library.importer import ImportSettings, default_workers, import_folders
    from core.pipeline import FacePipeline, PipelineSettings
    from core.storage.engine import LibraryError, open_library
    from core.storage.lock import LibraryLockedError

    try:
        library = open_library(args.library)
    except (LibraryLockedError, LibraryError) as exc:
        print(f"faceorg: {exc}", file=sys.stderr)
        return library_exit_code(exc)
    settings = ImportSettings(workers=args.workers or default_workers(), detector=args.detector)
    token = CancelToken()
    bar = None if args.no_progress else ProgressBar()
    with library, _sigint_cancels(token):
        try:
            pipeline = FacePipeline(PipelineSettings(detector=args.detector))
            result = import_folders(library, args.folders, pipeline=pipeline, settings=settings,
                                    progress=bar, cancel=token)
        finally:
            if bar is not None:
                bar.close()
        grouping = None if result.cancelled or args.no_group else _regroup(library, token)
    # a cancel during the grouping that follows a finished import: the photos stay, the groups are as before
    grouping_cancelled = not result.cancelled and not args.no_group and grouping is None and token.cancelled
    if args.json:
        print(json_dumps({"library": str(library.path), **result.to_json(),
                          "grouping_cancelled": grouping_cancelled}, ensure_ascii=True))
    else:
        _print_import_summary(result)
        if grouping is not None:
            print(f"  grouped: {grouping.recognized} faces recognised, {grouping.suggested} to review, "
                  f"{grouping.clusters_total} groups")
        if grouping_cancelled:
            print("  grouping cancelled: the photos are imported; `faceorg cluster` groups them")
    return 130 if result.cancelled or grouping_cancelled else 0


def _regroup(library: Library, token: CancelToken) -> GroupingResult | None:
    """Recognise and group the faces after an import (the library's last strictness)."""
    from core.library.grouping import last_strictness, regroup
    from core.progress import Cancelled

    with library.session() as session:
        strictness = last_strictness(session)
    try:
        return regroup(library, strictness, cancel=token)
    except Cancelled:
        return None


def _print_import_summary(r: ImportReport) -> None:
    rate = (r.files_done - r.photos_unchanged) / r.elapsed_s if r.elapsed_s > 0 else 0.0
    head = "Cancelled" if r.cancelled else "Done"
    print(f"{head}: {r.files_done}/{r.files_total} files in {format_duration(r.elapsed_s)} "
          f"({rate:.1f} photos/s read)")
    print(f"  new photos {r.photos_new}, new faces {r.faces_new}, unchanged {r.photos_unchanged}, "
          f"moved {r.photos_moved}, duplicates {r.photos_duplicate}, restored {r.photos_restored}, "
          f"updated {r.photos_updated}, missing {r.photos_missing}")
    _print_errors(r.errors)
    _print_stale([(face_id, path, None) for face_id, path in r.stale_faces])
    if r.cancelled:
        print("  Run the same import again to continue where it stopped.")


def _print_errors(errors: list[tuple[str, str]]) -> None:
    if not errors:
        return
    print(f"  {len(errors)} file(s) or folder(s) could not be read:")
    for path, reason in errors[:MAX_LISTED_ERRORS]:
        print(f"    {printable(path)}: {printable(reason)}")
    if len(errors) > MAX_LISTED_ERRORS:
        print(f"    ... and {len(errors) - MAX_LISTED_ERRORS} more (faceorg status --json lists all)")


def run_status(args: argparse.Namespace) -> int:
    from core.library import queries
    from core.paths import default_library_path
    from core.storage.engine import LibraryError, open_library

    try:
        library = open_library(args.library, read_only=True)
    except FileNotFoundError:
        print(f"faceorg: no library at {args.library or default_library_path()}", file=sys.stderr)
        return 1
    except LibraryError as exc:
        print(f"faceorg: {exc}", file=sys.stderr)
        return library_exit_code(exc)
    with library, library.session() as session:
        counts = queries.status(session)
        errors = [(e.path, e.error or "error") for e in queries.import_errors(session)]
        errors += queries.scan_problems(session)
        stale = queries.stale_faces(session)
    if args.json:
        print(json_dumps({"library": str(library.path), **asdict(counts),
                          "errors": [{"path": p, "error": r} for p, r in errors],
                          "stale_faces": [{"face_id": s.face_id, "path": s.photo_path, "person": s.person_name}
                                          for s in stale]}, ensure_ascii=True))
        return 0
    c = counts
    print(f"Library {printable(str(library.path))}")
    print(f"  photos {c.photos_total}: done {c.done}, error {c.error}, missing {c.missing}, "
          f"pending {c.pending} (+ {c.duplicates} duplicate files)")
    print(f"  faces {c.faces}: people {c.people}, clusters {c.clusters}, unassigned {c.unassigned}, "
          f"review items {c.review_items}")
    _print_errors(errors)
    _print_stale([(s.face_id, s.photo_path, s.person_name) for s in stale])
    return 0


def _print_stale(stale: list[tuple[int, str, str | None]]) -> None:
    """Named faces not found again in their changed photo: kept with their names, to check."""
    if not stale:
        return
    print(f"  {len(stale)} named face(s) not found again after their photo changed (kept with their names; "
          "`faceorg reject FACE` if the person is no longer in it):")
    for face_id, path, name in stale[:MAX_LISTED_ERRORS]:
        label = f' "{printable(name)}"' if name else ""
        print(f"    face {face_id}{label} in {printable(path)}")
