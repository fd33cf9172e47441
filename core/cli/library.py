"""``faceorg import FOLDER...`` and ``faceorg status``: fill the library and look at it.

The import runs :func:`core.library.import_job.run_job` (the app's import-then-group job) in this
process. Exit codes (all in :mod:`core.cli.exitcodes`): 0 done (bad files are reported, not fatal),
1 no library (status) or the grouping after the import failed (the photos stay), 2 the library is
locked by another process or newer, 3-6 a library that cannot be used, 130 cancelled (Ctrl+C), 141
the output went away (the import still finishes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from core.cli.common import sigint_cancels
from core.cli.exitcodes import UNREACHABLE, library_exit_code
from core.cli.progressbar import ProgressBar, format_duration
from core.detection import DEFAULT_DETECTOR, DETECTOR_NAMES
from core.progress import CancelToken, Progress
from core.safetext import json_dumps, printable

if TYPE_CHECKING:
    from core.library.importer import ImportReport

MAX_LISTED_ERRORS = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import", help="import photo folders (again: only what changed)")
    p.add_argument("folders", nargs="+", metavar="FOLDER", help="folders (or photo files) to import")
    p.add_argument("--workers", type=int, default=None, help="decode+detect threads (default: min(4, CPUs))")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTOR_NAMES)
    p.add_argument("--json", action="store_true", help="print the report as one JSON object (stable keys)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--no-group", action="store_true", help="skip recognising and grouping faces afterwards")
    flip = p.add_mutually_exclusive_group()
    flip.add_argument("--no-flip", dest="flip", action="store_false", default=None,
                      help="embed each face once, without its mirror image (the default with the int8 model)")
    flip.add_argument("--flip", dest="flip", action="store_true",
                      help="also embed each face's mirror image and average (the default with --float; "
                           "BENCHMARKS.md section 5)")
    p.add_argument("--float", action="store_true",
                   help="the float FaceNet instead of its int8 copy (about 2x slower a face; LFW View-2 98.52%% "
                        "with flip averaging; BENCHMARKS.md section 5)")
    p.add_argument("--int8", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for scripts
    p.add_argument("--no-metadata", action="store_true",
                   help="do not read face names from the photos' XMP (embedded or sidecar)")
    p.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="spread decoding, detection and embedding over a Ray cluster (ray://host:10001, "
                        "auto, or local); this process stays the only writer. Needs pip install '.[cluster]'")
    p.add_argument("--cluster-gpus", type=float, default=0.0, metavar="N", help="GPUs per embedding actor")
    p.set_defaults(func=run_import)

    s = subparsers.add_parser("status", help="library counts and the files that could not be imported")
    s.add_argument("--json", action="store_true", help="print one JSON object (stable keys)")
    s.set_defaults(func=run_status)


def run_import(args: argparse.Namespace) -> int:
    from core.library.import_job import ImportJob, run_job
    from core.progress import Cancelled
    from core.storage.engine import LibraryError
    from core.storage.lock import LibraryLockedError

    if args.cluster:
        try:
            import ray  # noqa: F401
        except ImportError as exc:
            print(f"faceorg: --cluster needs Ray (pip install '.[cluster]'): {exc}", file=sys.stderr)
            return 2
    job = ImportJob(library=args.library, paths=tuple(args.folders), group=not args.no_group, strictness=None,
                    detector=args.detector, workers=args.workers, read_metadata=not args.no_metadata,
                    cluster=args.cluster, cluster_gpus=args.cluster_gpus,
                    embedder={"flip": args.flip, "int8": not args.float})
    token = CancelToken()
    bar = _ImportBar(None if args.no_progress else ProgressBar())
    try:
        with sigint_cancels(token):
            result = run_job(job, progress=bar, cancel=token)
    except (LibraryLockedError, LibraryError) as exc:
        print(f"faceorg: {exc}", file=sys.stderr)
        return library_exit_code(exc)
    except ConnectionError as exc:  # --cluster: no Ray cluster at that address
        print(f"faceorg: cannot reach the Ray cluster at {args.cluster}: {exc}", file=sys.stderr)
        return UNREACHABLE
    except Cancelled:  # Ctrl+C while the models were loading, before the import started
        print("cancelled before the import started", file=sys.stderr)
        return 130
    finally:
        bar.close()
    report = result.report
    assert report is not None  # a job with paths always has one
    # a cancel during the grouping that follows a finished import: the photos stay, the groups are as before
    if args.json:
        print(json_dumps({"library": result.library, **report.to_json(),
                          "grouping_cancelled": result.grouping_cancelled}, ensure_ascii=True))
    else:
        _print_import_summary(report)
        if result.grouping is not None:
            g = result.grouping
            print(f"  grouped: {g.recognized} faces recognised, {g.suggested} to review, {g.clusters_total} groups")
        if result.grouping_cancelled:
            print("  grouping cancelled: the photos are imported; `faceorg cluster` groups them")
        if result.grouping_error:
            print(f"  grouping failed ({result.grouping_error}): the photos are imported; "
                  "`faceorg cluster` groups them")
    if result.cancelled or result.grouping_cancelled:
        return 130
    return 1 if result.grouping_error else 0


class _ImportBar:
    """The import's progress on the bar; the bar closes when the grouping begins (it shows no bar)."""

    def __init__(self, bar: ProgressBar | None) -> None:
        self.bar = bar

    def __call__(self, phase: str, progress: Progress) -> None:
        if phase == "import" and self.bar is not None:
            self.bar(progress)
        else:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _print_import_summary(r: ImportReport) -> None:
    rate = (r.files_done - r.photos_unchanged) / r.elapsed_s if r.elapsed_s > 0 else 0.0
    head = "Cancelled" if r.cancelled else "Done"
    print(f"{head}: {r.files_done}/{r.files_total} files in {format_duration(r.elapsed_s)} "
          f"({rate:.1f} photos/s read)")
    print(f"  new photos {r.photos_new}, new faces {r.faces_new}, unchanged {r.photos_unchanged}, "
          f"moved {r.photos_moved}, duplicates {r.photos_duplicate}, restored {r.photos_restored}, "
          f"updated {r.photos_updated}, missing {r.photos_missing}")
    for line in r.unmapped_roots:
        print(f"  {printable(line)}")
    _print_errors(r.errors)
    _print_stale([(face_id, path, None) for face_id, path in r.stale_faces])
    _print_metadata(r)
    if r.cancelled:
        print("  Run the same import again to continue where it stopped.")


def _print_metadata(r: ImportReport) -> None:
    if not (r.metadata_faces_named or r.metadata_skipped or r.metadata_problems or r.metadata_conflicts
            or r.metadata_suggestions):
        return
    print(f"  from photo metadata: {r.metadata_faces_named} faces named ({r.metadata_region_faces} from regions "
          f"with no detected face), {r.metadata_suggestions} suggestions to review, "
          f"{len(r.metadata_skipped)} regions skipped")
    for title, rows in (("skipped", r.metadata_skipped), ("unreadable", r.metadata_problems),
                        ("disagrees with the library", r.metadata_conflicts)):
        for path, reason in rows[:MAX_LISTED_ERRORS]:
            print(f"    {title}: {printable(path)}: {printable(reason)}")
        if len(rows) > MAX_LISTED_ERRORS:
            print(f"    ... and {len(rows) - MAX_LISTED_ERRORS} more {title} (--json lists all)")


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
    from core.library.roots import unmapped_messages
    from core.metadata.status import metadata_status

    with library, library.session() as session:
        counts = queries.status(session)
        errors = [(e.path, e.error or "error") for e in queries.import_errors(session)]
        errors += queries.scan_problems(session)
        stale = queries.stale_faces(session)
        meta = metadata_status(session)
        unmapped = unmapped_messages(session)
    if args.json:
        print(json_dumps({"library": str(library.path), **asdict(counts), "unmapped_roots": unmapped,
                          "errors": [{"path": p, "error": r} for p, r in errors],
                          "stale_faces": [{"face_id": s.face_id, "path": s.photo_path, "person": s.person_name}
                                          for s in stale],
                          "metadata_faces_named": meta.faces_named, "metadata_region_faces": meta.region_faces,
                          "metadata_regions_skipped": [{"path": p, "name": n, "reason": r}
                                                       for p, n, r in meta.skipped]}, ensure_ascii=True))
        return 0
    c = counts
    print(f"Library {printable(str(library.path))}")
    print(f"  photos {c.photos_total}: done {c.done}, error {c.error}, missing {c.missing}, "
          f"pending {c.pending} (+ {c.duplicates} duplicate files)")
    print(f"  faces {c.faces}: people {c.people}, clusters {c.clusters}, unassigned {c.unassigned}, "
          f"review items {c.review_items}")
    print(f"  from photo metadata: {meta.faces_named} faces named ({meta.region_faces} from regions with no "
          f"detected face), {meta.regions_skipped} regions skipped")
    for path, name, reason in meta.skipped[:MAX_LISTED_ERRORS]:
        print(f'    skipped region "{printable(name)}" in {printable(path)}: {printable(reason)}')
    for line in unmapped:
        print(f"  {printable(line)}")
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
