"""load_image / is_image_file / content_hash on real photos and on every kind of bad file."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import zlib
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

from core.imaging.errors import ImageLoadError
from core.imaging.loader import content_hash, is_image_file, load_image


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _bomb_png(side: int = 100_000) -> bytes:
    """A valid PNG header claiming side x side RGB pixels, with almost no data."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b""))


def _expect_error(path: Path, reason_start: str, **kwargs) -> ImageLoadError:
    with pytest.raises(ImageLoadError) as info:
        load_image(path, **kwargs)
    err = info.value
    assert str(path) in str(err)
    assert err.reason.startswith(reason_start), err.reason
    return err


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# -- bad inputs --------------------------------------------------------------------------
def test_truncated_images_setting_stays_off() -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    _expect_error(path, "zero-byte file")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n" * 20)
    _expect_error(path, "not an image")


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.97])
def test_truncated_jpeg(tmp_path: Path, astronaut_jpeg: Path, keep: float) -> None:
    data = astronaut_jpeg.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    _expect_error(path, "truncated or corrupt")


def test_truncated_png(tmp_path: Path, astronaut: np.ndarray) -> None:
    buf = io.BytesIO()
    Image.fromarray(astronaut).save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    _expect_error(path, "truncated or corrupt")


def test_garbage_in_middle_of_jpeg(tmp_path: Path, astronaut_jpeg: Path) -> None:
    # Note: bytes that happen to decode as valid entropy data (e.g. a run of zeros) cannot be
    # detected in a JPEG; random bytes break the stream.
    data = bytearray(astronaut_jpeg.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 2000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path = tmp_path / "garbled.jpg"
    path.write_bytes(bytes(data))
    _expect_error(path, "truncated or corrupt")


def test_zeroed_bytes_in_middle_of_png(tmp_path: Path, astronaut: np.ndarray) -> None:
    buf = io.BytesIO()
    Image.fromarray(astronaut).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    mid = len(data) // 2
    data[mid:mid + 200] = bytes(200)
    path = tmp_path / "garbled.png"
    path.write_bytes(bytes(data))
    _expect_error(path, "truncated or corrupt")


def test_decompression_bomb_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_bomb_png())
    err = _expect_error(path, "decompression bomb")
    assert "10000000000 pixels" in err.reason


def test_pixel_limit_is_a_parameter(astronaut_jpeg: Path) -> None:
    _expect_error(astronaut_jpeg, "decompression bomb: 262144 pixels", max_pixels=100_000)
    assert load_image(astronaut_jpeg, max_pixels=262_144).rgb.shape == (512, 512, 3)


@pytest.mark.parametrize("fmt", ["ICO", "PPM", "PCX"])
def test_unsupported_format(tmp_path: Path, astronaut: np.ndarray, fmt: str) -> None:
    path = tmp_path / f"picture.{fmt.lower()}"
    Image.fromarray(astronaut[:128, :128]).save(path, fmt)
    _expect_error(path, f"unsupported format: {fmt}")
    assert not is_image_file(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root (or a non-POSIX system) reads files whatever their mode")
def test_permission_denied(astronaut_jpeg: Path) -> None:
    astronaut_jpeg.chmod(0)
    try:
        _expect_error(astronaut_jpeg, "permission denied")
        assert not is_image_file(astronaut_jpeg)
    finally:
        astronaut_jpeg.chmod(0o644)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "holiday.jpg"
    folder.mkdir()
    _expect_error(folder, "is a directory")


def test_missing_file(tmp_path: Path) -> None:
    _expect_error(tmp_path / "gone.jpg", "not found")


def test_error_pickles(tmp_path: Path) -> None:
    err = ImageLoadError(tmp_path / "x.jpg", "not an image")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.reason, str(copy)) == (err.path, err.reason, str(err))


# -- good inputs -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, ext, tolerance", [
    ("JPEG", "jpg", 4.0), ("PNG", "png", 0.0), ("WEBP", "webp", 6.0), ("TIFF", "tif", 0.0),
    ("BMP", "bmp", 0.0), ("HEIF", "heic", 6.0),
])
def test_formats_roundtrip(tmp_path: Path, astronaut: np.ndarray, fmt: str, ext: str,
                           tolerance: float) -> None:
    path = tmp_path / f"astronaut.{ext}"
    Image.fromarray(astronaut).save(path, fmt)
    loaded = load_image(path)
    assert loaded.format == fmt
    assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (512, 512, 3)
    assert (loaded.original_width, loaded.original_height, loaded.scale) == (512, 512, 1.0)
    assert _diff(loaded.rgb, astronaut) <= tolerance
    assert is_image_file(path)


# numpy equivalents of the EXIF orientations (what a viewer shows)
_ORIENT = {
    1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", sorted(_ORIENT))
def test_every_exif_orientation(tmp_path: Path, astronaut: np.ndarray, orientation: int) -> None:
    raw = astronaut[:96, :64]
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "o.png"
    Image.fromarray(raw).save(path, exif=exif.tobytes())
    loaded = load_image(path)
    expected = _ORIENT[orientation](raw)
    assert np.array_equal(loaded.rgb, expected)
    assert (loaded.original_height, loaded.original_width) == expected.shape[:2]


def test_exif_rotated_jpeg_and_date(tmp_path: Path, astronaut: np.ndarray) -> None:
    raw = astronaut[:, :400]  # 400 wide, 512 high as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    exif.get_ifd(0x8769)[0x9003] = "2019:07:14 16:05:33"
    path = tmp_path / "phone.jpg"
    Image.fromarray(raw).save(path, quality=95, exif=exif.tobytes())
    loaded = load_image(path)
    assert loaded.rgb.shape == (400, 512, 3)
    assert (loaded.original_width, loaded.original_height) == (512, 400)
    rotated = np.rot90(raw, -1)
    assert _diff(loaded.rgb, rotated) < 3.0
    assert _diff(loaded.rgb, np.rot90(raw, 1)) > 20.0  # not the wrong way round
    assert loaded.date_taken == datetime(2019, 7, 14, 16, 5, 33)
    small = load_image(path, max_side=256)
    assert small.rgb.shape == (200, 256, 3)
    assert small.scale == pytest.approx(0.5)


def test_no_exif_date(astronaut_jpeg: Path) -> None:
    assert load_image(astronaut_jpeg).date_taken is None


def test_heic_keeps_orientation_and_date(tmp_path: Path, astronaut: np.ndarray) -> None:
    raw = astronaut[:, :400]
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9003] = "2021:12:24 18:00:00"
    path = tmp_path / "phone.heic"
    Image.fromarray(raw).save(path, "HEIF", exif=exif.tobytes(), quality=90)
    loaded = load_image(path)
    assert loaded.format == "HEIF"
    assert loaded.rgb.shape == (400, 512, 3)
    assert _diff(loaded.rgb, np.rot90(raw, -1)) < 6.0
    assert loaded.date_taken == datetime(2021, 12, 24, 18, 0, 0)


def test_gif_first_frame(tmp_path: Path, astronaut: np.ndarray) -> None:
    frames = [Image.fromarray(astronaut).quantize(256), Image.new("P", (512, 512), 0)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(path)
    assert loaded.format == "GIF" and loaded.rgb.shape == (512, 512, 3)
    assert _diff(loaded.rgb, astronaut) < 12.0


def test_png_alpha_composited_on_white(tmp_path: Path, astronaut: np.ndarray) -> None:
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    rgba[:, :256, 3] = 0
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(path)
    rgb = load_image(path).rgb
    assert (rgb[:, :256] == 255).all()
    assert np.array_equal(rgb[:, 256:], astronaut[:, 256:])


def test_16bit_grey_png(tmp_path: Path, astronaut: np.ndarray) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    path = tmp_path / "deep.png"
    Image.fromarray(grey.astype(np.uint16) * 257).save(path)
    assert Image.open(path).mode.startswith("I")
    rgb = load_image(path).rgb
    assert np.abs(rgb[:, :, 0].astype(int) - grey).max() <= 1
    assert (rgb[:, :, 0] == rgb[:, :, 2]).all()


def test_16bit_colour_png(tmp_path: Path, astronaut: np.ndarray) -> None:
    path = tmp_path / "deep_rgb.png"
    bgr16 = cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257
    assert cv2.imwrite(str(path), bgr16)
    assert _diff(load_image(path).rgb, astronaut) <= 1.0


@pytest.mark.parametrize("mode", ["P", "L", "LA", "CMYK", "1"])
def test_other_modes_become_rgb(tmp_path: Path, astronaut: np.ndarray, mode: str) -> None:
    img = Image.fromarray(astronaut).convert(mode)
    path = tmp_path / ("m.jpg" if mode == "CMYK" else "m.png")
    img.save(path)
    loaded = load_image(path)
    assert loaded.rgb.shape == (512, 512, 3) and loaded.rgb.dtype == np.uint8
    expected = np.asarray(Image.open(path).convert("RGBA" if "A" in mode else "RGB"))[:, :, :3]
    assert _diff(loaded.rgb, expected) < 1.0


def test_draft_decode_returns_smaller_image_with_scale(tmp_path: Path, astronaut: np.ndarray) -> None:
    big = cv2.resize(astronaut, (3000, 2000), interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, quality=90)
    for for_detection in (False, True):
        loaded = load_image(path, max_side=500, for_detection=for_detection)
        assert loaded.rgb.shape == (333, 500, 3)
        assert (loaded.original_width, loaded.original_height) == (3000, 2000)
        assert loaded.scale == pytest.approx(500 / 3000)
        reference = cv2.resize(big, (500, 333), interpolation=cv2.INTER_AREA)
        assert _diff(loaded.rgb, reference) < 4.0
    full = load_image(path, max_side=5000)  # no upscaling
    assert full.rgb.shape == (2000, 3000, 3) and full.scale == 1.0


def test_max_side_for_png(tmp_path: Path, astronaut: np.ndarray) -> None:
    path = tmp_path / "a.png"
    Image.fromarray(astronaut).save(path)
    loaded = load_image(path, max_side=128)
    assert loaded.rgb.shape == (128, 128, 3) and loaded.scale == 0.25


def test_lfw_photo(lfw_image: Path) -> None:
    loaded = load_image(lfw_image)
    assert loaded.rgb.shape == (250, 250, 3) and loaded.format == "JPEG"


# -- is_image_file / content_hash --------------------------------------------------------
def test_is_image_file_by_content(tmp_path: Path, astronaut_jpeg: Path) -> None:
    disguised = tmp_path / "photo.txt"
    disguised.write_bytes(astronaut_jpeg.read_bytes())
    text = tmp_path / "photo.jpg"
    text.write_text("not really")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_bomb_png())
    assert is_image_file(disguised)
    assert is_image_file(bomb)  # a (huge) image; load_image explains the refusal
    assert not is_image_file(text)
    assert not is_image_file(empty)
    assert not is_image_file(tmp_path)
    assert not is_image_file(tmp_path / "missing.jpg")


def test_content_hash_streams_large_files(tmp_path: Path) -> None:
    payload = np.random.default_rng(1).integers(0, 256, 3 * (1 << 20) + 123, dtype=np.uint8).tobytes()
    path = tmp_path / "blob.bin"
    path.write_bytes(payload)
    assert content_hash(path) == hashlib.sha256(payload).hexdigest()
    with pytest.raises(OSError):
        content_hash(tmp_path / "missing.bin")
