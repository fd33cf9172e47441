"""``faceorg import FOLDER...`` and ``faceorg status``: fill the library and look at it.

Exit codes: 0 done (bad files are reported, not fatal), 1 no library (status), 2 the
library is locked by another process or has an unknown schema, 130 cancelled (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from types import FrameType
from typing import TYPE_CHECKING

from core.cli.progressbar import ProgressBar, format_duration
from core.progress import CancelToken

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
    p.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="spread decoding, detection and embedding over a Ray cluster (ray://host:10001, "
                        "auto, or local); this process stays the only writer. Needs pip install '.[cluster]'")
    p.add_argument("--cluster-gpus", type=float, default=0.0, metavar="N", help="GPUs per embedding actor")
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
    from core.storage.engine import LibraryVersionError, open_library
    from core.storage.lock import LibraryLockedError

    run_folders = import_folders
    if args.cluster:
        try:
            from core.library.cluster_import import ClusterSettings, connect, import_folders_cluster
            connect(args.cluster)
        except ImportError as exc:
            print(f"faceorg: --cluster needs Ray (pip install '.[cluster]'): {exc}", file=sys.stderr)
            return 2
        except ConnectionError as exc:
            print(f"faceorg: cannot reach the Ray cluster at {args.cluster}: {exc}", file=sys.stderr)
            return 2
        cluster = ClusterSettings(gpus_per_actor=args.cluster_gpus)

        def run_folders(*a: object, **kw: object) -> ImportReport:
            return import_folders_cluster(*a, cluster=cluster, **kw)  # type: ignore[arg-type]
    try:
        library = open_library(args.library)
    except (LibraryLockedError, LibraryVersionError) as exc:
        print(f"faceorg: {exc}", file=sys.stderr)
        return 2
    settings = ImportSettings(workers=args.workers or default_workers(), detector=args.detector)
    token = CancelToken()
    bar = None if args.no_progress else ProgressBar()
    with library, _sigint_cancels(token):
        try:
            pipeline = FacePipeline(PipelineSettings(detector=args.detector))
            result = run_folders(library, args.folders, pipeline=pipeline, settings=settings,
                                 progress=bar, cancel=token)
        finally:
            if bar is not None:
                bar.close()
        grouping = None if result.cancelled or args.no_group else _regroup(library, token)
    # a cancel during the grouping that follows a finished import: the photos stay, the groups are as before
    grouping_cancelled = not result.cancelled and not args.no_group and grouping is None and token.cancelled
    if args.json:
        print(json.dumps({"library": str(library.path), **result.to_json(),
                          "grouping_cancelled": grouping_cancelled}))
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
    if r.cancelled:
        print("  Run the same import again to continue where it stopped.")


def _print_errors(errors: list[tuple[str, str]]) -> None:
    if not errors:
        return
    print(f"  {len(errors)} file(s) or folder(s) could not be read:")
    for path, reason in errors[:MAX_LISTED_ERRORS]:
        print(f"    {path}: {reason}")
    if len(errors) > MAX_LISTED_ERRORS:
        print(f"    ... and {len(errors) - MAX_LISTED_ERRORS} more (faceorg status --json lists all)")


def run_status(args: argparse.Namespace) -> int:
    from core.library import queries
    from core.paths import default_library_path
    from core.storage.engine import LibraryVersionError, open_library

    try:
        library = open_library(args.library, read_only=True)
    except FileNotFoundError:
        print(f"faceorg: no library at {args.library or default_library_path()}", file=sys.stderr)
        return 1
    except LibraryVersionError as exc:
        print(f"faceorg: {exc}", file=sys.stderr)
        return 2
    with library, library.session() as session:
        counts = queries.status(session)
        errors = queries.import_errors(session)
    if args.json:
        print(json.dumps({"library": str(library.path), **asdict(counts),
                          "errors": [{"path": e.path, "error": e.error} for e in errors]}))
        return 0
    c = counts
    print(f"Library {library.path}")
    print(f"  photos {c.photos_total}: done {c.done}, error {c.error}, missing {c.missing}, "
          f"pending {c.pending} (+ {c.duplicates} duplicate files)")
    print(f"  faces {c.faces}: people {c.people}, clusters {c.clusters}, unassigned {c.unassigned}, "
          f"review items {c.review_items}")
    _print_errors([(e.path, e.error or "error") for e in errors])
    return 0
