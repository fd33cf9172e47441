"""Which XMP describes a photo: its sidecars or what is embedded in it.

Order, first source that says anything about faces wins (regions, name tags or a region we
had to skip):

1. ``photo.jpg.xmp`` (digiKam, darktable): it names exactly one photo, and apps that write a
   sidecar do so instead of touching the photo, so it is the newest word on the faces.
2. ``photo.xmp`` (Lightroom, Capture One): may be shared by ``photo.jpg`` and ``photo.cr2``,
   so it comes after the unambiguous name.
3. The XMP embedded in the photo.

Sources are not merged: two apps' views of the same faces would give one face two names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

import core.imaging.loader  # noqa: F401 - registers the HEIF opener with Pillow
from core.metadata.xmp_read import MetadataError, PhotoTags, parse, read_embedded, read_sidecar

_ORIENTATION_TAG = 0x0112


def sidecar_paths(photo: str | os.PathLike[str]) -> list[Path]:
    """``photo.jpg.xmp`` then ``photo.xmp``, whether they exist or not."""
    p = Path(photo)
    return [p.with_name(p.name + ".xmp"), p.with_suffix(".xmp")]


def sidecar_for(photo: str | os.PathLike[str], style: str) -> Path:
    """The sidecar we write: style "jpg.xmp" (default) or "xmp"."""
    first, second = sidecar_paths(photo)
    return second if style == "xmp" else first


def signature(photo: str | os.PathLike[str]) -> str:
    """Size and mtime of the sidecars that exist, to notice a changed sidecar on re-import."""
    parts = []
    for path in sidecar_paths(photo):
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


@dataclass(frozen=True)
class StoredFrame:
    """The stored (unrotated) pixel size of a photo file and its EXIF orientation (1..8)."""

    width: int
    height: int
    orientation: int


#: JPEG start-of-frame markers (the ones that carry the size): C0-CF but DHT, JPG and DAC.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_HEAD_BYTES = 1 << 16


def _plain_jpeg_frame(head: bytes) -> StoredFrame | None:
    """A JPEG with no APP1 segment before its scan (no EXIF, no XMP, so no orientation: 1), its size
    from the frame header; None for anything else (Pillow decides). The common case of photos from
    the web, scanners and editors that strip metadata, read without Pillow's full header parse."""
    if head[:3] != b"\xff\xd8\xff":
        return None
    i, size = 2, None
    while i + 4 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # no length
            i += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: every header seen
            return size
        length = int.from_bytes(head[i + 2:i + 4], "big")
        if length < 2 or marker == 0xE1:  # APP1: EXIF or XMP, either may hold an orientation
            return None
        if marker in _SOF:
            if i + 9 > len(head):
                return None
            height, width = int.from_bytes(head[i + 5:i + 7], "big"), int.from_bytes(head[i + 7:i + 9], "big")
            if width == 0 or height == 0 or size is not None:
                return None
            size = StoredFrame(width, height, 1)
        i += 2 + length
    return None


def stored_frame(photo: str | os.PathLike[str]) -> StoredFrame:
    """Read lazily with Pillow (header only), the same way :mod:`core.imaging.loader` does; a JPEG
    without EXIF or XMP is read from its first bytes (:func:`_plain_jpeg_frame`)."""
    try:
        with open(photo, "rb") as f:
            plain = _plain_jpeg_frame(f.read(_HEAD_BYTES))
    except FileNotFoundError:
        raise MetadataError("file not found") from None
    except Exception:
        plain = None  # Pillow below says why (the same words as before)
    if plain is not None:
        return plain
    try:
        with Image.open(photo) as img:
            width, height = img.size
            try:
                orientation = int(img.getexif().get(_ORIENTATION_TAG, 1))
            except Exception:
                orientation = 1
    except FileNotFoundError:
        raise MetadataError("file not found") from None
    except Exception as exc:
        raise MetadataError(f"unreadable ({type(exc).__name__})") from None
    return StoredFrame(width, height, orientation if 1 <= orientation <= 8 else 1)


def read_photo_tags(photo: str | os.PathLike[str], frame: StoredFrame) -> tuple[PhotoTags, list[str]]:
    """The winning source's tags (see the module doc) and the problems met on the way
    (a sidecar that is not XML, an unreadable photo...): one line each, naming the file."""
    problems: list[str] = []
    size = (frame.width, frame.height)
    for path in sidecar_paths(photo):
        if not path.is_file():
            continue
        try:
            tags = parse(read_sidecar(path), size, str(path))
        except MetadataError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if not tags.empty:
            return tags, problems
    try:
        return parse(read_embedded(Path(photo)), size, str(photo)), problems
    except MetadataError as exc:
        problems.append(f"embedded XMP: {exc}")
        return PhotoTags(), problems
