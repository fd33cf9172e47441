"""Synthetic 12-megapixel group photos for the import benchmark.

    .venv/bin/python -m benchmarks.make_collages --out DIR [--n 200] [--seed 0] [--lfw DIR]

Each photo is 4000 x 3000 (JPEG, quality 90): a background (a blurred, enlarged LFW photo,
or a colour gradient with noise) with 3 to 8 LFW faces pasted on it, enlarged to 150 to 600
pixels, not overlapping. The same seed gives the same photos. ``manifest.json`` beside
them lists each photo's pasted faces (source file and box).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from core.paths import lfw_default

SIZE = (4000, 3000)  # width, height
FACES = (3, 8)  # per photo, inclusive
FACE_SIDE = (150, 600)  # pixels, the pasted square
FACE_CROP = (slice(40, 210), slice(40, 210))  # the face and a little around it, of a 250 x 250 LFW photo


def _read(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def background(rng: np.random.Generator, files: list[Path]) -> np.ndarray:
    w, h = SIZE
    if rng.random() < 0.5:
        small = _read(files[rng.integers(len(files))])
        return cv2.GaussianBlur(cv2.resize(small, (w // 4, h // 4), interpolation=cv2.INTER_CUBIC),
                                (0, 0), 6).repeat(4, axis=0).repeat(4, axis=1)
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    row = (a * (1 - t) + b * t).astype(np.float32)
    noise = rng.normal(0, 8, (h // 4, w // 4, 3)).astype(np.float32).repeat(4, axis=0).repeat(4, axis=1)
    return np.clip(np.broadcast_to(row, (h, w, 3)) + noise, 0, 255).astype(np.uint8)


def place(rng: np.random.Generator, sides: list[int]) -> list[tuple[int, int, int]]:
    """Non-overlapping (x, y, side) squares inside the photo (fewer if they do not fit)."""
    w, h = SIZE
    boxes: list[tuple[int, int, int]] = []
    for side in sides:
        for _ in range(200):
            x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
            if all(x + side <= bx or bx + bs <= x or y + side <= by or by + bs <= y for bx, by, bs in boxes):
                boxes.append((x, y, side))
                break
    return boxes


def make_collage(rng: np.random.Generator, files: list[Path]) -> tuple[np.ndarray, list[dict]]:
    canvas = background(rng, files).copy()
    n = int(rng.integers(FACES[0], FACES[1] + 1))
    sides = sorted((int(rng.integers(FACE_SIDE[0], FACE_SIDE[1] + 1)) for _ in range(n)), reverse=True)
    faces = []
    for x, y, side in place(rng, sides):
        source = files[rng.integers(len(files))]
        face = _read(source)[FACE_CROP]
        canvas[y:y + side, x:x + side] = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        faces.append({"source": f"{source.parent.name}/{source.name}", "box": [x, y, side, side]})
    return canvas, faces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lfw", type=Path, default=None, help="LFW folder (default: ../shared/lfw)")
    args = parser.parse_args(argv)
    root = args.lfw or lfw_default()
    if root is None:
        parser.error("LFW not found; pass --lfw or set FACEORG_LFW")
    files = sorted((root / "images").glob("*/*.jpg"))
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for i in range(args.n):
        image, faces = make_collage(rng, files)
        name = f"collage_{i:04d}.jpg"
        Image.fromarray(image).save(args.out / name, quality=90)
        manifest[name] = faces
        print(f"\r{i + 1}/{args.n}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"{args.n} photos, {sum(len(f) for f in manifest.values())} faces in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
