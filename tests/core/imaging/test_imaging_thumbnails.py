"""Thumbnail cache and face crops."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.imaging.errors import ImageLoadError
from core.imaging.loader import content_hash
from core.imaging.thumbnails import ensure_thumbnail, face_crop, thumbnail_path

ASTRONAUT_FACE = (180.0, 62.0, 90.0, 113.0)  # x, y, w, h of the face in skimage's astronaut


@pytest.fixture()
def wide_photo(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "wide.jpg"
    Image.fromarray(cv2.resize(astronaut, (1200, 800))).save(path, quality=90)
    return path


def test_thumbnail_path_layout(tmp_path: Path) -> None:
    digest = "ab" + "0" * 62
    assert thumbnail_path(tmp_path, digest, 256) == tmp_path / "ab" / f"{digest}_256.jpg"
    with pytest.raises(ValueError):
        thumbnail_path(tmp_path, "../etc", 256)


def test_ensure_thumbnail_creates_once(tmp_path: Path, wide_photo: Path) -> None:
    digest = content_hash(wide_photo)
    root = tmp_path / "cache"
    thumb = ensure_thumbnail(wide_photo, digest, size=256, cache_root=root)
    assert thumb == thumbnail_path(root, digest, 256)
    with Image.open(thumb) as img:
        assert img.format == "JPEG" and img.size == (256, 171)
    stamp = thumb.stat().st_mtime_ns
    assert ensure_thumbnail(wide_photo, digest, size=256, cache_root=root) == thumb
    assert thumb.stat().st_mtime_ns == stamp
    assert ensure_thumbnail(wide_photo, digest, size=64, cache_root=root) != thumb
    assert not [p for p in thumb.parent.iterdir() if p.suffix == ".tmp"]


def test_default_root_is_the_cache_dir(tmp_path: Path, wide_photo: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEORG_CACHE", str(tmp_path / "appcache"))
    digest = content_hash(wide_photo)
    thumb = ensure_thumbnail(wide_photo, digest)
    assert thumb.is_relative_to(tmp_path / "appcache" / "thumbnails")


def test_bad_source_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_text("nope")
    root = tmp_path / "cache"
    with pytest.raises(ImageLoadError):
        ensure_thumbnail(bad, content_hash(bad), cache_root=root)
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_concurrent_writers(tmp_path: Path, wide_photo: Path) -> None:
    digest = content_hash(wide_photo)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(
        ensure_thumbnail(wide_photo, digest, cache_root=tmp_path))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    with Image.open(results[0]) as img:
        img.load()
    assert [p.name for p in results[0].parent.iterdir()] == [results[0].name]


def test_face_crop_centres_the_face(astronaut: np.ndarray) -> None:
    crop = face_crop(astronaut, ASTRONAUT_FACE, size=160, margin=0.25)
    assert crop.shape == (160, 160, 3) and crop.dtype == np.uint8
    x, y, w, h = ASTRONAUT_FACE
    side = round(h * 1.5)
    x0, y0 = round(x + w / 2 - side / 2), round(y + h / 2 - side / 2)
    expected = cv2.resize(astronaut[y0:y0 + side, x0:x0 + side], (160, 160), interpolation=cv2.INTER_AREA)
    assert np.abs(crop.astype(int) - expected).mean() < 1.0


def test_face_crop_pads_outside_the_image(astronaut: np.ndarray) -> None:
    crop = face_crop(astronaut, (-40.0, -40.0, 80.0, 80.0), size=100, margin=0.0)
    assert (crop[:45, :45] == 0).all()  # the part left of / above the image
    assert crop[60:, 60:].mean() > 10  # the image's own corner
    assert (face_crop(astronaut, (10, 10, 0, 0)) == 0).all()
