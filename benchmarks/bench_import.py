"""Import speed and memory: LFW photos and 12-megapixel collages into a temporary library.

    .venv/bin/python -m benchmarks.bench_import [--lfw N] [--collages DIR] [--json OUT]
        [--workers N] [--no-flip] [--threads N]

Phases, each in a fresh child process (so that its peak memory is its own): ``lfw`` imports
N LFW photos (spread over the sorted list; default 2000), ``lfw-again`` imports the same
folder again (nothing changed: the incremental scan), ``collages`` imports the photos of
``--collages`` (see make_collages.py). Reported per phase: photos/s and faces/s (wall
clock, model loading excluded), peak resident memory (ru_maxrss of the child, model
included). Prints a markdown table; ``--json`` also writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.paths import lfw_default


def _maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1 << 20) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def _phase(name: str, library: str, folder: str, settings: dict, queue: mp.Queue) -> None:
    """Child process: import ``folder`` and report."""
    from core.embedding.embedder import EmbedderSettings
    from core.library.importer import ImportSettings, import_folders
    from core.pipeline import FacePipeline, PipelineSettings
    from core.storage.engine import open_library

    pipeline = FacePipeline(PipelineSettings(
        detector=settings["detector"],
        embedder=EmbedderSettings(flip=settings["flip"], threads=settings["threads"])))
    _ = pipeline.model_id  # load the model before the clock starts
    with open_library(library) as lib:
        t0 = time.perf_counter()
        rep = import_folders(lib, [folder], pipeline=pipeline, settings=ImportSettings(
            workers=settings["workers"], batch_size=settings["batch_size"],
            commit_every=settings["commit_every"], detector=settings["detector"]))
        seconds = time.perf_counter() - t0
    queue.put({"phase": name, "photos": rep.files_done, "new": rep.photos_new,
               "unchanged": rep.photos_unchanged, "faces": rep.faces_new, "errors": len(rep.errors),
               "seconds": round(seconds, 3), "photos_per_s": round(rep.files_done / seconds, 2),
               "faces_per_s": round(rep.faces_new / seconds, 2), "peak_rss_mib": round(_maxrss_mib(), 1)})


def run_phase(name: str, library: Path, folder: Path, settings: dict) -> dict:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_phase, args=(name, str(library), str(folder), settings, queue))
    proc.start()
    result = queue.get()
    proc.join()
    print(f"{name}: {result['photos']} photos in {result['seconds']:.1f} s", file=sys.stderr)
    return result


def lfw_folder(root: Path, n: int, where: Path) -> Path:
    """A folder of links to ``n`` LFW photos spread over the sorted list."""
    files = sorted((root / "images").glob("*/*.jpg"))
    idx = np.unique(np.linspace(0, len(files) - 1, min(n, len(files))).round().astype(int))
    folder = where / "lfw"
    folder.mkdir()
    for i in idx:
        (folder / files[i].name).symlink_to(files[i])
    return folder


def machine() -> dict:
    import torch

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "cpu_count": os.cpu_count(),
            "torch": torch.__version__, "cuda": torch.cuda.is_available()}


def markdown(results: list[dict]) -> str:
    head = "| phase | photos | new | faces | errors | seconds | photos/s | faces/s | peak RSS MiB |"
    rows = [head, "|" + "---|" * 9]
    for r in results:
        rows.append(f"| {r['phase']} | {r['photos']} | {r['new']} | {r['faces']} | {r['errors']} | "
                    f"{r['seconds']:.1f} | {r['photos_per_s']:.1f} | {r['faces_per_s']:.1f} | "
                    f"{r['peak_rss_mib']:.0f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=int, default=2000, help="LFW photos to import (0: none)")
    parser.add_argument("--lfw-dir", type=Path, default=None, help="LFW folder (default: ../shared/lfw)")
    parser.add_argument("--collages", type=Path, default=None, help="folder made by make_collages.py")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None, help="default: min(4, CPUs)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--commit-every", type=int, default=64)
    parser.add_argument("--detector", default="yunet", choices=["yunet", "mtcnn"])
    parser.add_argument("--no-flip", action="store_true", help="no flip averaging (the app flips)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    args = parser.parse_args(argv)

    from core.library.importer import default_workers

    settings = {"workers": args.workers or default_workers(), "batch_size": args.batch_size,
                "commit_every": args.commit_every, "detector": args.detector, "flip": not args.no_flip,
                "threads": args.threads}
    results = []
    with tempfile.TemporaryDirectory(prefix="faceorg-bench-") as tmp:
        library = Path(tmp) / "library.sqlite"
        if args.lfw > 0:
            root = args.lfw_dir or lfw_default()
            if root is None:
                parser.error("LFW not found; pass --lfw-dir or set FACEORG_LFW (or --lfw 0)")
            folder = lfw_folder(root, args.lfw, Path(tmp))
            results.append(run_phase("lfw", library, folder, settings))
            results.append(run_phase("lfw-again", library, folder, settings))
        if args.collages is not None:
            results.append(run_phase("collages", library, args.collages.resolve(), settings))
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "settings": settings, "phases": results}
    print(f"Import benchmark, {report['date']}, {report['machine']['platform']}, "
          f"{report['machine']['cpu_count']} CPUs, settings {json.dumps(settings)}\n")
    print(markdown(results))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
