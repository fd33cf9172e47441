"""Face detector speed and LFW hit rate.

    .venv/bin/python -m benchmarks.bench_detection [--lfw DIR] [--limit N] [--json OUT]

Speed: median milliseconds (wall clock, and CPU time of this process, which is steadier on a
busy machine) per 1440 x 1080 photo, each made of LFW photos (some shrunk, some
enlarged) pasted on a blurred, enlarged LFW background. Hit rate: the share of LFW photos
(``--limit`` of them, spread evenly over the sorted list; 0 = all 13,233) in which the
detector finds a face, and in which it finds one near the centre (where LFW's named person is).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from core.detection import DETECTOR_NAMES, Detector, make_detector
from core.imaging.loader import load_image
from core.paths import lfw_default

PHOTO_SIZE = (1440, 1080)  # width, height


def lfw_files(root: Path) -> list[Path]:
    return sorted((root / "images").glob("*/*.jpg"))


def spread(files: list[Path], limit: int) -> list[Path]:
    """``limit`` files evenly spread over ``files`` (all of them when limit is 0)."""
    if limit <= 0 or limit >= len(files):
        return files
    idx = np.linspace(0, len(files) - 1, limit).round().astype(int)
    return [files[i] for i in idx]


def make_photos(files: list[Path], count: int, seed: int = 0) -> list[tuple[np.ndarray, int]]:
    """``count`` synthetic 1440 x 1080 group photos and how many faces were pasted in each."""
    rng = np.random.default_rng(seed)
    w, h = PHOTO_SIZE
    photos = []
    for _ in range(count):
        background = load_image(files[rng.integers(len(files))]).rgb
        canvas = cv2.GaussianBlur(cv2.resize(background, (w, h)), (0, 0), 12)
        n = int(rng.integers(1, 6))
        cols = np.array_split(np.arange(w), n)
        for k in range(n):
            face = load_image(files[rng.integers(len(files))]).rgb
            side = int(rng.integers(120, min(500, h - 1)))
            face = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
            x = int(cols[k][0] + rng.integers(0, max(1, len(cols[k]) - side)))
            x = min(x, w - side)
            y = int(rng.integers(0, h - side))
            canvas[y:y + side, x:x + side] = face
        photos.append((canvas, n))
    return photos


def time_photos(detector: Detector, photos: list[tuple[np.ndarray, int]]) -> dict[str, float]:
    detector.detect(photos[0][0])  # warm-up: nets are created on first use
    times, cpu, found, pasted = [], [], 0, 0
    for rgb, n in photos:
        start, start_cpu = time.perf_counter(), time.process_time()
        faces = detector.detect(rgb)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        found += min(len(faces), n)
        pasted += n
    return {"median_ms": statistics.median(times), "p90_ms": float(np.percentile(times, 90)),
            "median_cpu_ms": statistics.median(cpu),
            "photos": len(photos), "pasted_faces_found": found / pasted}


def lfw_rate(detector: Detector, files: list[Path]) -> dict[str, float]:
    any_face = centred = 0
    times = []
    for i, path in enumerate(files, 1):
        rgb = load_image(path).rgb
        start = time.perf_counter()
        faces = detector.detect(rgb)
        times.append((time.perf_counter() - start) * 1000)
        any_face += bool(faces)
        h, w = rgb.shape[:2]
        centred += any(abs(f.box[0] + f.box[2] / 2 - w / 2) < w * 0.16
                       and abs(f.box[1] + f.box[3] / 2 - h / 2) < h * 0.16 for f in faces)
        if i % 250 == 0:
            print(f"  {detector.name}: {i}/{len(files)}", file=sys.stderr, flush=True)
    return {"images": len(files), "rate_any": any_face / len(files),
            "rate_centred": centred / len(files), "median_ms_250px": statistics.median(times),
            "seconds": sum(times) / 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lfw", type=Path, default=None, help="LFW folder (with images/)")
    parser.add_argument("--limit", type=int, default=1000, help="LFW photos for the hit rate; 0 = all")
    parser.add_argument("--photos", type=int, default=30, help="1440x1080 photos for timing")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1)")
    parser.add_argument("--detectors", default=",".join(DETECTOR_NAMES))
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    root = args.lfw or lfw_default()
    if root is None or not (root / "images").is_dir():
        parser.error("LFW not found; pass --lfw DIR (the folder holding images/)")
    cv2.setNumThreads(args.threads)
    files = lfw_files(root)
    photos = make_photos(files, args.photos)
    sample = spread(files, args.limit)

    results = {}
    for name in args.detectors.split(","):
        detector = make_detector(name)
        wall = time.perf_counter()
        speed = time_photos(detector, photos)
        rate = lfw_rate(detector, sample)
        results[name] = {**speed, **{f"lfw_{k}": v for k, v in rate.items()},
                         "wall_seconds": time.perf_counter() - wall}

    print(f"\n{len(photos)} photos of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, {len(sample)} LFW images, "
          f"{args.threads} OpenCV thread(s), {os.cpu_count()} CPUs\n")
    print("| detector | median ms / 1440x1080 | p90 ms | median CPU ms | pasted faces found "
          "| LFW any face | LFW centred face | median ms / LFW 250px | LFW run s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['median_cpu_ms']:.1f} "
              f"| {r['pasted_faces_found']:.1%} "
              f"| {r['lfw_rate_any']:.2%} | {r['lfw_rate_centred']:.2%} | {r['lfw_median_ms_250px']:.1f} "
              f"| {r['lfw_seconds']:.0f} |")

    if args.json:
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cpu_count": os.cpu_count(), "python": platform.python_version(),
                        "opencv": cv2.__version__, "opencv_threads": args.threads},
            "settings": {"lfw": str(root), "limit": args.limit, "photos": args.photos,
                         "photo_size": PHOTO_SIZE},
            "results": results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
