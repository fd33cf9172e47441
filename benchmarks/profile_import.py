"""Where one photo's import time goes, step by step, on one thread: decode, detect, crop, embed.

    .venv/bin/python benchmarks/profile_import.py DIR [--n 8] [--json OUT]

Runs the steps of ``FacePipeline.prepare`` and the embedder on the photos of DIR (e.g. the 12-MP
collages of make_collages.py) with one OpenCV and one inference thread, and prints the median CPU ms
per photo of each step and the faces found. Works on this checkout and on older ones (run it with
``PYTHONPATH`` set to a worktree of the older commit): without ``PipelineSettings.detect_side`` it
times the old steps (a full decode, the detector's own shrink, a crop from the full frame).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("FACEORG_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-flip", action="store_true")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)

    from core.embedding.embedder import EmbedderSettings
    from core.imaging.loader import load_image
    from core.pipeline import FacePipeline, PipelineSettings

    new = hasattr(PipelineSettings(), "detect_side")
    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=not args.no_flip, threads=1)))
    embedder = pipeline.embedder
    detector = pipeline.detector()
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:args.n]
    steps: dict[str, list[float]] = {"decode": [], "detect": [], "crop": [], "embed": []}
    faces = 0
    embedder.embed(np.zeros((1, 160, 160, 3), np.uint8))  # warm up
    for path in files:
        clock = time.process_time
        t = clock()
        if new:
            loaded = load_image(path, max_side=pipeline.settings.detect_side, reduce_only=True)
        else:
            loaded = load_image(path, max_side=pipeline.settings.crop_max_side)
        steps["decode"].append(clock() - t)
        t = clock()
        dets = [d.scaled(1.0 / loaded.scale) for d in detector.detect(loaded.rgb)]
        dets = [d for d in dets if min(d.box[2:]) >= pipeline.settings.min_face]
        steps["detect"].append(clock() - t)
        t = clock()
        source = pipeline._crop_source(path, loaded, dets) if new and dets else loaded
        extra = clock() - t
        steps["decode"][-1] += extra  # a second, larger decode for small faces counts as decode
        t = clock()
        crops = pipeline.crops(source.rgb, [d.scaled(source.scale) for d in dets])
        steps["crop"].append(clock() - t)
        t = clock()
        embedder.embed(crops)
        steps["embed"].append(clock() - t)
        faces += len(dets)
    out = {"code": "new" if new else "old", "photos": len(files), "faces": faces, "flip": not args.no_flip,
           "backend": type(embedder).__name__,
           "median_cpu_ms_per_photo": {k: round(1000 * float(np.median(v)), 1) for k, v in steps.items()},
           "mean_cpu_ms_per_photo": {k: round(1000 * float(np.mean(v)), 1) for k, v in steps.items()}}
    out["total_mean_ms"] = round(sum(out["mean_cpu_ms_per_photo"].values()), 1)
    print(json.dumps(out))
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # PYTHONPATH (another checkout) first
    sys.exit(main())
