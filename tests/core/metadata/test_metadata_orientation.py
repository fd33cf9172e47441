"""All 8 EXIF orientations with real rotated photos: the stored pixels are turned (Pillow) and the
Orientation tag set (exiftool); a region exiftool writes in the MWG convention (stored frame)
lands on the right face, and the region we export is read back by exiftool onto that face. The
frame conversions of the oracle are done by turning a mask image with Pillow, not by our code."""

from __future__ import annotations

import json

import numpy as np
import pytest
from metadata_support import exiftool, lfw, mwg_arg, named_faces, need_exiftool, run_import, shared_pipeline
from PIL import Image

from core.metadata.export import export_xmp

pytestmark = [pytest.mark.lfw, pytest.mark.slow]
T = Image.Transpose
#: What a viewer does to the stored pixels for each orientation (as core.imaging.loader does).
SHOW = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
        6: T.ROTATE_270, 7: T.TRANSVERSE, 8: T.ROTATE_90}
#: Its inverse: from the upright photo to the pixels to store.
STORE = {**SHOW, 6: T.ROTATE_90, 8: T.ROTATE_270}


def _turn(img: Image.Image, op: T | None) -> Image.Image:
    return img if op is None else img.transpose(op)


def _box_through(box: tuple[float, float, float, float], size: tuple[int, int], op: T | None
                 ) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """Turn a box with a mask image: (x0, y0, x1, y1) in the turned frame and its size."""
    mask = Image.new("L", size, 0)
    x, y, w, h = (round(v) for v in box)
    mask.paste(255, (x, y, x + w, y + h))
    turned = _turn(mask, op)
    return turned.getbbox(), turned.size


def test_eight_orientations_in_and_out(library, tmp_path):
    need_exiftool()
    face = Image.open(lfw("George_W_Bush_0001")).convert("RGB")
    upright = Image.new("RGB", (460, 300), (120, 130, 140))
    upright.paste(face, (190, 25))  # off centre: a wrong turn misses the face
    dets = shared_pipeline().detect(np.asarray(upright))
    assert len(dets) == 1
    box = tuple(float(v) for v in dets[0].box)
    folder = tmp_path / "turned"
    folder.mkdir()
    for o in range(1, 9):
        path = folder / f"o{o}.jpg"
        _turn(upright, STORE[o]).save(path, quality=95)
        (x0, y0, x1, y1), (w, h) = _box_through(box, upright.size, STORE[o])
        area = ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h)
        exiftool("-overwrite_original", "-n", f"-Orientation={o}", mwg_arg([(f"Turned {o}", area)], (w, h)), path)
    report = run_import(library, folder, shared_pipeline())
    assert report.metadata_region_faces == 0 and report.metadata_skipped == []
    named = named_faces(library)
    for o in range(1, 9):
        (name, got, _), = named[f"o{o}.jpg"]
        assert name == f"Turned {o}"
        assert np.abs(np.subtract(got, box)).max() < 6  # the same face, detected again in each file
    # out: our export of each turned photo, read by exiftool and turned upright with a mask
    result = export_xmp(library, [folder])
    assert result.errors == [] and result.written == 8
    for o in range(1, 9):
        info = json.loads(exiftool("-j", "-struct", "-n", "-XMP:all", folder / f"o{o}.jpg.xmp"))[0]["RegionInfo"]
        (region,) = info["RegionList"]
        stored = (info["AppliedToDimensions"]["W"], info["AppliedToDimensions"]["H"])
        assert stored == _turn(upright, STORE[o]).size
        a = region["Area"]
        raw = ((a["X"] - a["W"] / 2) * stored[0], (a["Y"] - a["H"] / 2) * stored[1], a["W"] * stored[0],
               a["H"] * stored[1])
        (x0, y0, x1, y1), _ = _box_through(raw, stored, SHOW[o])
        (_, ours, _), = named[f"o{o}.jpg"]
        assert region["Name"] == f"Turned {o}"
        assert np.abs(np.subtract((x0, y0, x1 - x0, y1 - y0), ours)).max() <= 1.5
