"""Read XMP with pyexiv2 and pick out face regions and name-only person tags.

What is read: MWG regions (``mwg-rs:Regions``, area = centre + size, ``AppliedToDimensions``),
Microsoft regions (``MP:RegionInfo``, rectangle = top-left + size), and the name-only tags
digiKam ``TagsList`` ``People/<Name>``, Lightroom ``hierarchicalSubject`` ``People|<Name>`` and
``Iptc4xmpExt:PersonInImage``. The XML is parsed by exiv2 (pyexiv2); here we only walk its
flat key paths.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.metadata.regions import Box, Region, SkippedRegion, iou, valid_normalized

#: exiv2's XMP parser is not thread-safe and pyexiv2 holds the GIL: one metadata call at a time.
EXIV2_LOCK = threading.Lock()

MWG = "Xmp.mwg-rs.Regions"
MP = "Xmp.MP.RegionInfo"
TAGS_LIST = "Xmp.digiKam.TagsList"
HIER_SUBJECT = "Xmp.lr.hierarchicalSubject"
PERSON_IN_IMAGE = "Xmp.iptcExt.PersonInImage"
PEOPLE_DIGIKAM = "People/"
PEOPLE_LIGHTROOM = "People|"
#: digiKam's own bookkeeping tags under People/, not names.
_NOT_NAMES = {"unknown", "unconfirmed", "ignored"}
_MWG_ITEM = re.compile(r"^Xmp\.mwg-rs\.Regions/mwg-rs:RegionList\[(\d+)\]/(.+)$")
_MP_ITEM = re.compile(r"^Xmp\.MP\.RegionInfo/MPRI:Regions\[(\d+)\]/(.+)$")
_HEIF_SUFFIXES = {".heic", ".heif", ".hif", ".avif"}
DUPLICATE_IOU = 0.5  # an MP region this close to an MWG face region is the same face written twice


class MetadataError(Exception):
    """The XMP could not be read; ``str()`` is a one-line reason."""


@dataclass
class PhotoTags:
    """What one XMP source says about the faces of a photo. Boxes are normalized, stored frame."""

    regions: list[Region] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # name-only tags (not already a region's name)
    skipped: list[SkippedRegion] = field(default_factory=list)
    source: str = ""

    @property
    def empty(self) -> bool:
        return not (self.regions or self.names or self.skipped)


def xmp_from_bytes(data: bytes) -> dict[str, object]:
    """The XMP of a photo file or an XMP packet/sidecar, as pyexiv2's flat dict."""
    import pyexiv2

    with EXIV2_LOCK:
        try:
            img = pyexiv2.ImageData(data)
        except Exception as exc:  # exiv2 raises plain RuntimeError for every parse failure
            raise MetadataError(_reason(exc)) from None
        try:
            return img.read_xmp()
        except Exception as exc:
            raise MetadataError(_reason(exc)) from None
        finally:
            img.close()


def read_embedded(path: str | Path) -> dict[str, object]:
    """The XMP embedded in a photo (HEIC: through pillow-heif when exiv2 cannot)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MetadataError("file not found") from None
    except PermissionError:
        raise MetadataError("permission denied") from None
    except OSError as exc:
        raise MetadataError(f"unreadable ({exc.strerror or type(exc).__name__})") from None
    if path.suffix.lower() in _HEIF_SUFFIXES or data[4:8] == b"ftyp":
        return _heif_xmp(data)
    return xmp_from_bytes(data)


def read_sidecar(path: str | Path) -> dict[str, object]:
    """The XMP of a sidecar file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MetadataError(f"unreadable sidecar ({exc.strerror or type(exc).__name__})") from None
    if not data.strip():
        raise MetadataError("empty sidecar")
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise MetadataError("sidecar is not XML")
    return xmp_from_bytes(data)


def _heif_xmp(data: bytes) -> dict[str, object]:
    try:
        found = xmp_from_bytes(data)
        if found:
            return found
    except MetadataError:
        pass
    import io

    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(data))
        packet = heif.info.get("xmp")
    except Exception as exc:
        raise MetadataError(f"unreadable HEIF ({_reason(exc)})") from None
    return xmp_from_bytes(packet) if packet else {}


def parse(xmp: dict[str, object], stored_size: tuple[int, int] | None, source: str = "") -> PhotoTags:
    """Regions and name-only tags of ``xmp``. ``stored_size``: the photo's stored (unrotated)
    width and height, to check ``AppliedToDimensions`` against (None: not checked)."""
    tags = PhotoTags(source=source)
    mwg = _mwg_regions(xmp, stored_size, tags.skipped)
    mp = [r for r in _mp_regions(xmp, tags.skipped)
          if not any(iou(r.box, m.box) >= DUPLICATE_IOU for m in mwg)]
    tags.regions = mwg + mp
    have = {r.name.casefold() for r in tags.regions}
    for name in _name_tags(xmp):
        if name.casefold() not in have:
            have.add(name.casefold())
            tags.names.append(name)
    return tags


def _text(value: object) -> str:
    if isinstance(value, dict):  # a language alternative
        value = next(iter(value.values()), "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split())


def _items(xmp: dict[str, object], pattern: re.Pattern[str]) -> dict[int, dict[str, object]]:
    items: dict[int, dict[str, object]] = {}
    for key, value in xmp.items():
        m = pattern.match(key)
        if m:
            items.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return dict(sorted(items.items()))


def _float(fields: dict[str, object], key: str) -> float:
    return float(_text(fields.get(key, "")))


def _applied_size(xmp: dict[str, object]) -> tuple[float, float] | None:
    base = f"{MWG}/mwg-rs:AppliedToDimensions/stDim:"
    if f"{base}w" not in xmp or f"{base}h" not in xmp:
        return None
    unit = _text(xmp.get(f"{base}unit", "pixel")).lower()
    if unit not in ("pixel", ""):
        return None
    try:
        return float(_text(xmp[f"{base}w"])), float(_text(xmp[f"{base}h"]))
    except ValueError:
        return None


def _mwg_regions(xmp: dict[str, object], stored_size: tuple[int, int] | None,
                 skipped: list[SkippedRegion]) -> list[Region]:
    items = _items(xmp, _MWG_ITEM)
    if not items:
        return []
    applied = _applied_size(xmp)
    mismatch = None
    if applied is not None and stored_size is not None and \
            (abs(applied[0] - stored_size[0]) > 0.5 or abs(applied[1] - stored_size[1]) > 0.5):
        mismatch = (f"AppliedToDimensions {applied[0]:g}x{applied[1]:g} but the photo is "
                    f"{stored_size[0]}x{stored_size[1]} (resized or cropped after tagging)")
    out = []
    for fields in items.values():
        kind = _text(fields.get("mwg-rs:Type", "")) or "Face"
        name = _text(fields.get("mwg-rs:Name", ""))
        if kind != "Face":
            continue  # a pet, an object, a focus area: not ours
        if not name:
            continue  # an unnamed face region names nobody
        if mismatch is not None:
            skipped.append(SkippedRegion(name, mismatch))
            continue
        unit = _text(fields.get("mwg-rs:Area/stArea:unit", "normalized")).lower()
        if unit not in ("normalized", ""):
            skipped.append(SkippedRegion(name, f"area unit {unit!r} is not supported"))
            continue
        try:
            cx, cy = _float(fields, "mwg-rs:Area/stArea:x"), _float(fields, "mwg-rs:Area/stArea:y")
            w, h = _float(fields, "mwg-rs:Area/stArea:w"), _float(fields, "mwg-rs:Area/stArea:h")
        except ValueError:
            skipped.append(SkippedRegion(name, "malformed area (not numbers)"))
            continue
        box: Box = (cx - w / 2, cy - h / 2, w, h)
        if (why := valid_normalized(box)) is not None:
            skipped.append(SkippedRegion(name, why))
            continue
        out.append(Region(name, box, "mwg"))
    return out


def _mp_regions(xmp: dict[str, object], skipped: list[SkippedRegion]) -> list[Region]:
    out = []
    for fields in _items(xmp, _MP_ITEM).values():
        name = _text(fields.get("MPReg:PersonDisplayName", ""))
        rect = _text(fields.get("MPReg:Rectangle", ""))
        if not name or not rect:
            continue
        try:
            x, y, w, h = (float(v) for v in rect.split(","))
        except ValueError:
            skipped.append(SkippedRegion(name, f"malformed rectangle {rect[:40]!r}"))
            continue
        box: Box = (x, y, w, h)
        if (why := valid_normalized(box)) is not None:
            skipped.append(SkippedRegion(name, why))
            continue
        out.append(Region(name, box, "mp"))
    return out


def _list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value and not value.startswith("type="):
        return [value]
    return []


def _name_tags(xmp: dict[str, object]) -> list[str]:
    names = []
    for entry in _list(xmp.get(TAGS_LIST)):
        if entry.startswith(PEOPLE_DIGIKAM):
            names.append(entry.rsplit("/", 1)[-1])
    for entry in _list(xmp.get(HIER_SUBJECT)):
        if entry.startswith(PEOPLE_LIGHTROOM):
            names.append(entry.rsplit("|", 1)[-1])
    names += _list(xmp.get(PERSON_IN_IMAGE))
    cleaned = [" ".join(n.split()) for n in names]
    return [n for n in cleaned if n and n.casefold() not in _NOT_NAMES]


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
