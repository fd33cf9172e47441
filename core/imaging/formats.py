"""The photo formats FaceNet Organizer reads: one table for the scanner, the loader, the app's file
dialog and the training folders.

To add a format: a row in :data:`FORMATS` (Pillow's name for it and its file extensions), its magic
bytes in :func:`has_image_magic`, and a Pillow plugin that decodes it (:mod:`core.imaging.loader`
registers pillow-heif for HEIF and AVIF). Imports nothing heavy.
"""

from __future__ import annotations

import os

#: Pillow format name -> file extensions (lower case, with the dot). MPO is how Pillow names many
#: camera JPEGs (their files end in .jpg).
FORMATS: dict[str, tuple[str, ...]] = {
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "MPO": (),
    "PNG": (".png",),
    "GIF": (".gif",),
    "BMP": (".bmp", ".dib"),
    "TIFF": (".tif", ".tiff"),
    "WEBP": (".webp",),
    "HEIF": (".heic", ".heif", ".hif"),
    "AVIF": (".avif",),
}

#: Pillow format names the loader decodes.
SUPPORTED_FORMATS = frozenset(FORMATS)
#: File extensions the scanner treats as photos.
IMAGE_EXTENSIONS = frozenset(ext for extensions in FORMATS.values() for ext in extensions)
#: Formats the training folders read (plain Pillow, no plugins, the same decode on every machine).
TRAINING_FORMATS = ("JPEG", "PNG", "BMP", "WEBP")
TRAINING_EXTENSIONS = frozenset(ext for name in TRAINING_FORMATS for ext in FORMATS[name])
#: Glob patterns of every photo extension, in table order (file dialogs).
FILE_PATTERNS = tuple(f"*{ext}" for extensions in FORMATS.values() for ext in extensions)

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2",
                          b"avif", b"avis"})


def has_image_extension(name: str) -> bool:
    """True for names like "x.JPG", "y.heic"."""
    return os.path.splitext(name)[1].casefold() in IMAGE_EXTENSIONS


def has_image_magic(head: bytes) -> bool:
    """True when ``head`` (a file's first 64 bytes) starts like a photo in one of :data:`FORMATS`."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM",
                        b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp":
        box = min(int.from_bytes(head[:4], "big"), len(head))
        brands = {head[i:i + 4] for i in range(8, box - 3, 4)}
        return bool(brands & _HEIF_BRANDS)
    return False
