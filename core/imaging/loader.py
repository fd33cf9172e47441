"""Open photos of every common format as RGB uint8 arrays, safely.

One entry point, :func:`load_image`; any file it cannot read raises
:class:`~core.imaging.errors.ImageLoadError` with a short human reason.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, UnidentifiedImageError

from core.imaging.budget import ByteBudget, decode_bytes
from core.imaging.errors import ImageLoadError, os_error_reason
from core.imaging.formats import SUPPORTED_FORMATS, has_image_magic

__all__ = ["DECODE_BUDGET_BYTES", "DEFAULT_MAX_PIXELS", "SUPPORTED_FORMATS", "ImageLoadError", "LoadedImage",
           "content_hash", "is_image_file", "load_image"]

pillow_heif.register_heif_opener()

#: Images with more pixels than this are refused (decompression-bomb guard).
DEFAULT_MAX_PIXELS = 200_000_000

#: Memory for decoding, shared by all threads of the process (see :mod:`core.imaging.budget`).
DECODE_BUDGET_BYTES = 640 << 20

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that. Our own ``max_pixels``
# check replaces the warning, and Pillow's hard refusal is lifted to our default limit.
if Image.MAX_IMAGE_PIXELS is not None and 2 * Image.MAX_IMAGE_PIXELS < DEFAULT_MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS // 2
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

_CHUNK = 1 << 20
_ORIENTATION_TAG = 0x0112
_EXIF_IFD = 0x8769
_DATE_TAGS = (0x9003, 0x9004)  # DateTimeOriginal, DateTimeDigitized (in the Exif IFD)
_DATETIME_TAG = 0x0132  # DateTime (IFD0), last resort
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded photo.

    ``rgb`` is H x W x 3 uint8, already turned upright per EXIF. ``original_width`` /
    ``original_height`` are the full-size upright dimensions; ``scale`` = returned size /
    original size (1.0 unless ``max_side`` shrank it). ``date_taken`` is the EXIF capture time
    as written by the camera (naive local time) or None. ``format`` is "JPEG", "PNG", "HEIF", ...
    """

    rgb: np.ndarray
    original_width: int
    original_height: int
    scale: float
    date_taken: datetime | None
    format: str

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def load_image(path: str | os.PathLike[str], *, max_side: int | None = None,
               for_detection: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS,
               reduce_only: bool = False) -> LoadedImage:
    """Decode ``path`` to upright RGB, shrunk so its longest side is at most ``max_side``.

    JPEGs are decoded at reduced size (draft mode) when ``max_side`` allows. ``for_detection``
    trades resize quality for speed (bilinear instead of Lanczos). ``reduce_only``: no resampling
    at all; a JPEG comes back at the smallest DCT-scaled size (1/2, 1/4, 1/8) whose longest side is
    still at least ``max_side``, other formats at full size (``scale`` says which). Raises
    ImageLoadError.
    """
    path = Path(path)
    _check_file(path)
    try:
        with Image.open(path) as img:
            return _decode(img, path, max_side, for_detection, max_pixels, reduce_only)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:
        match = re.search(r"\((\d+) pixels\)", str(exc))
        raise ImageLoadError(path, f"decompression bomb: {match.group(1) if match else '?'} pixels") \
            from None
    except UnidentifiedImageError:
        raise ImageLoadError(path, "not an image") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except MemoryError:
        raise ImageLoadError(path, "too large to decode in memory") from None
    except Exception as exc:  # Pillow plugins raise OSError, ValueError, SyntaxError, EOFError...
        raise ImageLoadError(path, f"truncated or corrupt ({_short(exc)})") from None


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """True when the file's content is a photo in a supported format, whatever its name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    if not has_image_magic(head):
        return False
    try:
        with Image.open(path) as img:
            return img.format in SUPPORTED_FORMATS
    except Image.DecompressionBombError:
        return True  # a real (huge) image; load_image will explain why it refuses it
    except Exception:
        return False


def content_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of the file's bytes, read in 1 MiB chunks. Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise ImageLoadError(path, os_error_reason(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageLoadError(path, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ImageLoadError(path, "not a regular file")
    if st.st_size == 0:
        raise ImageLoadError(path, "zero-byte file")


def _decode(img: Image.Image, path: Path, max_side: int | None, for_detection: bool,
            max_pixels: int, reduce_only: bool = False) -> LoadedImage:
    fmt = img.format or "?"
    if fmt not in SUPPORTED_FORMATS:
        raise ImageLoadError(path, f"unsupported format: {fmt}")
    raw_w, raw_h = img.size
    if raw_w * raw_h > max_pixels:
        raise ImageLoadError(path, f"decompression bomb: {raw_w * raw_h} pixels")
    scale = 1.0
    target = (raw_w, raw_h)
    if max_side is not None and max(raw_w, raw_h) > max_side:
        scale = max_side / max(raw_w, raw_h)
        target = (max(1, round(raw_w * scale)), max(1, round(raw_h * scale)))
        if fmt in ("JPEG", "MPO"):
            img.draft("RGB", (math.ceil(raw_w * scale), math.ceil(raw_h * scale)))
    need = decode_bytes(img.mode, *img.size)  # after draft: a JPEG decodes at the reduced size
    if need > DECODE_BUDGET_BYTES:
        raise ImageLoadError(path, f"too large to decode: {img.size[0]} x {img.size[1]} {img.mode} needs "
                                   f"{need / 2**20:.0f} MB, more than the {DECODE_BUDGET_BYTES >> 20} MB allowed")
    with _budget.hold(need):
        img.load()  # raises on truncated data (LOAD_TRUNCATED_IMAGES stays False)
        exif = _exif(img)  # after load: PNG's getexif() would load (and hide errors) itself
        orientation = exif.get(_ORIENTATION_TAG, 1)
        orientation = orientation if orientation in _TRANSPOSE else 1
        try:
            out = _to_8bit(img)
        except ValueError:
            raise ImageLoadError(path, f"unsupported color mode: {img.mode}") from None
        if out is not img:
            img.close()  # the full-size pixels go now, not when the caller's ``with`` ends
        if reduce_only:
            target = out.size
            scale = out.size[0] / raw_w
        if out.size != target:
            resample = Image.Resampling.BILINEAR if for_detection else Image.Resampling.LANCZOS
            out = out.resize(target, resample, reducing_gap=2.0 if for_detection else 3.0)
        if out.mode != "RGB":
            out = out.convert("RGB")
    if orientation != 1:
        out = out.transpose(_TRANSPOSE[orientation])
    orig_w, orig_h = (raw_h, raw_w) if orientation in (5, 6, 7, 8) else (raw_w, raw_h)
    rgb = np.array(out, dtype=np.uint8)
    return LoadedImage(rgb, orig_w, orig_h, scale, _date_taken(exif),
                       "JPEG" if fmt == "MPO" else fmt)


def _to_8bit(img: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit "L" (gray) or "RGB"; transparency is composited onto white.
    Gray stays gray (1 byte a pixel) until after the resize. 16-bit and float images are scaled
    a band of rows at a time, so the working memory is one uint8 copy, not float64 ones."""
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        width, height = img.size
        extrema = img.getextrema()
        peak = float(extrema[1]) if isinstance(extrema, tuple) and len(extrema) == 2 else 0.0  # type: ignore[arg-type]
        divisor, factor = (257.0, 1.0) if mode.startswith("I;16") or peak > 255 else (1.0, 1.0)
        if mode == "F" and peak <= 1.0:
            factor = 255.0
        gray = np.empty((height, width), dtype=np.uint8)
        step = max(1, _ROWS_BYTES // max(1, width * 8))
        for top in range(0, height, step):  # np.asarray(img) would copy all of it (tobytes)
            band = np.asarray(img.crop((0, top, width, min(height, top + step))), dtype=np.float32)
            gray[top:top + step] = np.clip(np.rint(band * (factor / divisor)), 0, 255)
        return Image.fromarray(gray)
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode in ("RGB", "L"):
        return img
    if mode == "1":
        return img.convert("L")
    return img.convert("RGB")


_ROWS_BYTES = 16 << 20  # float32 band size while scaling 16-bit images
_budget = ByteBudget(DECODE_BUDGET_BYTES)


def _exif(img: Image.Image) -> dict[int, object]:
    try:
        exif = img.getexif()
        merged: dict[int, object] = dict(exif)
        merged.update({k: v for k, v in exif.get_ifd(_EXIF_IFD).items() if k in _DATE_TAGS})
        return merged
    except Exception:  # a broken EXIF block must not make a good photo unreadable
        return {}


def _date_taken(exif: dict[int, object]) -> datetime | None:
    for tag in (*_DATE_TAGS, _DATETIME_TAG):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("ascii", "ignore")
        if not isinstance(value, str):
            continue
        text = value.strip("\x00 ")[:19].replace("-", ":").replace("T", " ")
        try:
            return datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "..."
