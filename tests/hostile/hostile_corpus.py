"""A hostile photo folder: every kind of file and folder a real, messy collection holds.

``build(folder)`` writes it and returns what an import must make of each case: imported, refused
with a reason (a photo row with status "error"), reported by the scan (broken links, special
files: ``faceorg status`` lists them), or left alone (a link loop is entered once). Small images
only, so the test that imports it stays fast; ``build(folder, big=True)`` adds the 381 KB 16-bit
PNG of 14000 x 14000 pixels whose decode once took 5.6 GB (for ``benchmarks/bench_hostile.py``).

Run as a script to write the folder: ``python tests/hostile/hostile_corpus.py OUT [--big]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

try:
    import pillow_heif
except ImportError:  # pragma: no cover - a dependency of core.imaging
    pillow_heif = None


@dataclass(frozen=True)
class Case:
    """``outcome``: "imported" (a done photo), "error" (a photo row with this reason), "scan" (a scan
    problem with this reason, shown by status), "absent" (neither: e.g. a folder entered once)."""

    outcome: str
    reason: str = ""
    faces: int | None = None  # when the case pins the number of faces


@functools.cache
def _astronaut_pixels() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def _astronaut(shift: int = 0, size: int | None = None) -> Image.Image:
    """scikit-image's astronaut (one face), rolled sideways by ``shift`` (distinct content)."""
    img = Image.fromarray(np.roll(_astronaut_pixels(), shift, axis=1))
    return img if size is None else img.resize((size, size))


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png(width: int, height: int, depth: int, color: int, rows: int, row: bytes, path: Path, level: int = 9) -> None:
    """A PNG of ``rows`` identical rows (``row`` includes the filter byte), streamed: a file that
    decodes to gigabytes is written in seconds, in a few hundred KB (``level`` 9) or ~1 MB (1)."""
    z = zlib.compressobj(level)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)))
        parts = [z.compress(row) for _ in range(rows)]
        parts.append(z.flush())
        fh.write(_chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b""))


def _name(folder: Path, raw: bytes) -> Path:
    """A path whose last part has these raw bytes (not UTF-8: surrogate-escaped in Python)."""
    return Path(os.fsdecode(os.fsencode(str(folder)) + b"/" + raw))


def build(folder: Path, *, big: bool = False) -> dict[str, Case]:
    """Write the hostile folder; relative path (as Python names it) -> expected :class:`Case`."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, Case] = {}

    def put(rel: str | Path, case: Case) -> Path:
        path = folder / rel
        cases[os.path.relpath(path, folder)] = case
        return path

    _astronaut(0).save(put("good.jpg", Case("imported", faces=1)), quality=90)
    raw = (folder / "good.jpg").read_bytes()
    put("zero.jpg", Case("error", "zero-byte file")).write_bytes(b"")
    put("text.jpg", Case("error", "not an image")).write_text("this is not a photo\n")
    put("truncated.jpg", Case("error", "truncated or corrupt")).write_bytes(raw[: len(raw) // 2])
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    put("header_60000x60000.png", Case("error", "decompression bomb")).write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b""))
    # A real bomb under the pixel guard: 9300 x 9300 RGB of zeros, ~1 MB, 690 MB to decode.
    _png(9_300, 9_300, 8, 2, 9_300, b"\0" * 27_901, put("bomb_9300x9300.png", Case("error", "too large to decode")),
         level=1)
    gray16 = (np.asarray(_astronaut(40).convert("L"), dtype=np.uint16) * 257)
    Image.fromarray(gray16).save(put("gray16.png", Case("imported")))
    assert Image.open(folder / "gray16.png").mode.startswith("I;16")
    _astronaut(80).convert("CMYK").save(put("cmyk.jpg", Case("imported", faces=1)), quality=90)
    frames = [_astronaut(120, 384), _astronaut(120, 384).rotate(8)]
    frames[0].save(put("animated.gif", Case("imported")), save_all=True, append_images=frames[1:], duration=200)
    _astronaut(160).save(put("photo.webp", Case("imported", faces=1)), quality=85)
    if pillow_heif is not None:
        pillow_heif.register_heif_opener()
        _astronaut(200, 320).save(put("photo.heic", Case("imported")), quality=60)

    os.symlink(".", put("loop", Case("absent")))  # a folder link back up: entered once
    os.symlink("nowhere.jpg", put("dangling.jpg", Case("scan", "broken link")))
    os.mkfifo(put("fifo.jpg", Case("scan", "not a regular file (a FIFO)")))
    os.symlink("/dev/zero", put("dev_zero.jpg", Case("scan", "not a regular file (a device)")))

    deep = folder
    while len(str(deep)) < 3_800:
        deep = deep / ("d" * 200)
    deep.mkdir(parents=True)
    long = deep / ("p" * (4_000 - len(str(deep)) - 5) + ".jpg")
    _astronaut(240).save(put(long, Case("imported", faces=1)), quality=90)
    assert len(str(long)) == 4_000

    (folder / "x.jpg").mkdir()  # a folder with a photo's name
    _astronaut(280).save(put("x.jpg/inside.jpg", Case("imported", faces=1)), quality=90)
    _astronaut(320).save(put(_name(folder, b"bad_\xff\xfe.jpg"), Case("imported", faces=1)), quality=90)
    latin = _name(folder, b"album_\xe9t\xe9")
    latin.mkdir()
    _astronaut(360).save(put(latin / "plage.jpg", Case("imported", faces=1)), quality=90)
    put(_name(folder, b"notes_\xff.jpg"), Case("error", "not an image")).write_text("not a photo either\n")
    put("ansi_\x1b[31mred.jpg", Case("error", "not an image")).write_text("a name that drives terminals\n")
    if big:
        # 381 KB, 14000 x 14000 16-bit gray: under the pixel guard, 5.6 GB through float64 copies once
        row = b"\0" + b"\x9c\x40" * 14_000
        _png(14_000, 14_000, 16, 0, 14_000, row, put("big16_14000x14000.png", Case("imported")))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--big", action="store_true", help="add the 14000 x 14000 16-bit PNG")
    args = parser.parse_args()
    for rel, case in build(args.out, big=args.big).items():
        print(f"{case.outcome:8s} {case.reason:30s} {rel[:100]!a}")


if __name__ == "__main__":
    main()
