"""``faceorg export-xmp [FOLDER...]``: write the library's names into the photos' XMP.

Exit codes: 0 done (photos that could not be written are listed, not fatal), 1 no library,
2 the library is locked or has an unknown schema, 130 cancelled (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import os

from core.cli.common import CliError, add_command, open_library_cli, sigint_cancels
from core.progress import CancelToken

MAX_LISTED = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(subparsers, "export-xmp", run_export,
                    "write face names into XMP sidecars (or into the photos)", json_flag=True)
    p.add_argument("folders", nargs="*", metavar="FOLDER", help="only photos below these folders (default: all)")
    p.add_argument("--embedded", action="store_true",
                   help="write into JPEG, PNG, TIFF and WebP files themselves (HEIC always gets a sidecar)")
    p.add_argument("--sidecar-name", choices=["jpg.xmp", "xmp"], default="jpg.xmp",
                   help="sidecar name: photo.jpg.xmp (digiKam, darktable; default) or photo.xmp (Lightroom)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run_export(args: argparse.Namespace) -> int:
    from core.cli.progressbar import ProgressBar
    from core.metadata.export import export_xmp
    from core.paths import default_library_path

    path = args.library or str(default_library_path())
    if not os.path.exists(path):  # opening for writing would make an empty library
        raise CliError(f"no library at {path}")
    token = CancelToken()
    bar = None if args.no_progress else ProgressBar()
    with open_library_cli(args, write=True) as library, sigint_cancels(token):
        try:
            result = export_xmp(library, args.folders or None, embedded=args.embedded,
                                sidecar_style=args.sidecar_name, progress=bar, cancel=token)
        finally:
            if bar is not None:
                bar.close()
    if args.json:
        print(json.dumps({"library": str(library.path), **result.to_json()}))
    else:
        head = "Cancelled" if result.cancelled else "Done"
        print(f"{head}: {result.photos} photos with names, {result.written} files written "
              f"({result.sidecars} sidecars, {result.embedded} photos), {result.unchanged} already up to date, "
              f"{result.faces} named faces, in {result.elapsed_s:.1f} s")
        if result.errors:
            print(f"  {len(result.errors)} photo(s) could not be written:")
            for p, reason in result.errors[:MAX_LISTED]:
                print(f"    {p}: {reason}")
            if len(result.errors) > MAX_LISTED:
                print(f"    ... and {len(result.errors) - MAX_LISTED} more (--json lists all)")
    return 130 if result.cancelled else 0
