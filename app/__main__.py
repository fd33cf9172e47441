"""``faceorg-gui``: start FaceNet Organizer (or render a screenshot, or run the self-test).

Only Qt and the app's own light modules are imported here: SQLAlchemy, torch and OpenCV
load later, on worker threads, so the window appears at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _library_arg(value: str) -> Path | str:
    """A file path, or a database URL kept as given (a Path would fold its ``//``)."""
    return value if "://" in value else Path(value)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="faceorg-gui", description="FaceNet Organizer")
    parser.add_argument("--library", type=_library_arg,
                        help="library file or postgresql:// URL (default: the one in Settings)")
    parser.add_argument("--screenshot", type=Path, metavar="OUT.png",
                        help="render one view at 1280x800 to a PNG and exit")
    parser.add_argument("--view", default="people",
                        choices=("people", "groups", "photos", "review", "unknown", "viewer", "detail", "folders"),
                        help="the view to render with --screenshot")
    parser.add_argument("--scale", type=float, default=None, help="UI scale (QT_SCALE_FACTOR), e.g. 2")
    parser.add_argument("--size", default="1280x800", help="window size for --screenshot (WxH)")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="save every page and dialog to DIR/<page>_<W>x<H>.png (see --sizes) and exit")
    parser.add_argument("--sizes", default="1280x800,800x600", help="window sizes for --screenshots")
    parser.add_argument("--self-test", action="store_true",
                        help="import a sample photo into a temporary library and exit 0 on success")
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)  # benchmarks: launch timings
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``faceorg-gui`` console script."""
    import multiprocessing

    # Imports run in a child process (core.library.import_job, "spawn"); in the frozen app that
    # child is this executable again, and freeze_support() runs it instead of the GUI.
    multiprocessing.freeze_support()
    args = parse_args(argv)
    if args.self_test:
        from app.headless import self_test

        return self_test()
    if args.screenshots is not None:
        from app.screenshot_tour import tour

        sizes = [(int(w), int(h)) for w, h in (size.lower().split("x") for size in args.sizes.split(","))]
        return tour(args.library, args.screenshots, sizes)
    if args.screenshot is not None:
        from app.headless import screenshot

        width, height = (int(v) for v in args.size.lower().split("x"))
        library = args.library
        if library is None:
            from app.settings import default_library

            library = default_library()
        return screenshot(library, args.screenshot, args.view, (width, height), args.scale)
    if args.scale:
        import os

        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    from app.application import run_gui

    return run_gui(args.library, args.ready_file)


if __name__ == "__main__":
    sys.exit(main())
