"""Write face names into XMP with pyexiv2: MWG and Microsoft regions plus name tags.

:func:`plan_changes` turns a photo's current XMP and its named faces into the pyexiv2 edits that
make the XMP say exactly those names, touching nothing else:

* face regions (MWG and MP) over a face of the library are ours: replaced by the current names;
  every other region (another app's pet or object, a face region we skipped) is kept as it was;
* ``People/<old>`` / ``People|<old>`` / ``<old>`` tags of names we replace are removed, the current
  names added; other tags keep their order;
* no edit at all when the XMP already says it (so a second export changes no byte).

Numbers are written with 6 decimals (0.01 px on a 10,000 px photo). Array rules of exiv2: the
type (``type="Bag"``/``"Seq"``/``"Struct"``) is set before the ``[n]`` items, and every old key of a
structure is deleted before it is written again (an array never keeps stale items).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.metadata.matching import candidate
from core.metadata.regions import Box, to_stored
from core.metadata.xmp_read import EXIV2_LOCK, HIER_SUBJECT, MP, MWG, PERSON_IN_IMAGE, TAGS_LIST, MetadataError

#: An empty XMP packet: what a new sidecar starts from (exiv2 fills in the rest).
EMPTY_PACKET = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
                b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>\n<?xpacket end="w"?>')
_MWG_LIST = f"{MWG}/mwg-rs:RegionList"
_MP_LIST = f"{MP}/MPRI:Regions"
_ITEM = re.compile(r"^(.*?)\[(\d+)\](.*)$")
#: Array type of each name tag (digiKam's TagsList is a Seq, the others Bags).
_TAG_KEYS = ((TAGS_LIST, "Seq", "People/{}"), (HIER_SUBJECT, "Bag", "People|{}"), (PERSON_IN_IMAGE, "Bag", "{}"))


@dataclass(frozen=True)
class NamedFace:
    """A face to write: ``box`` normalized (x, y, w, h) in the displayed (upright) frame."""

    name: str
    box: Box


def _num(v: float) -> str:
    return f"{min(1.0, max(0.0, v)):.6f}"


def _structure(xmp: dict[str, object], root: str) -> dict[str, object]:
    return {k: v for k, v in xmp.items() if k == root or k.startswith(root + "/")}


def _items(xmp: dict[str, object], list_key: str) -> dict[int, dict[str, object]]:
    """Items of an array of structures: index -> {suffix after ``[n]``: value}."""
    items: dict[int, dict[str, object]] = {}
    for key, value in xmp.items():
        if key.startswith(list_key + "["):
            m = _ITEM.match(key[len(list_key):])
            if m:
                items.setdefault(int(m.group(2)), {})[m.group(3)] = value
    return dict(sorted(items.items()))


def _text(value: object) -> str:
    return " ".join(str(value).split())


def _mwg_box(fields: dict[str, object]) -> Box | None:
    try:
        cx, cy, w, h = (float(_text(fields[f"/mwg-rs:Area/stArea:{k}"])) for k in "xywh")
    except (KeyError, ValueError):
        return None
    return cx - w / 2, cy - h / 2, w, h


def _mp_box(fields: dict[str, object]) -> Box | None:
    try:
        x, y, w, h = (float(v) for v in _text(fields["/MPReg:Rectangle"]).split(","))
    except (KeyError, ValueError):
        return None
    return x, y, w, h


def _ours(box: Box | None, library_boxes: Sequence[Box]) -> bool:
    return box is not None and any(candidate(box, b) is not None for b in library_boxes)


def plan_changes(xmp: dict[str, object], faces: Sequence[NamedFace], library_boxes: Sequence[Box],
                 old_names: set[str], orientation: int, stored_size: tuple[int, int]) -> dict[str, object] | None:
    """The edits (ordered; None deletes a key) that make ``xmp`` name ``faces``, or None when it
    already does. ``library_boxes``: every face of the photo in the library (stored frame,
    normalized): regions over them are ours; ``old_names``: names we may have written before."""
    stored = [(f.name, to_stored(f.box, orientation)) for f in faces]
    old = {n.casefold() for n in old_names}
    new_mwg: dict[str, object] = {}
    kept_mwg = []
    for fields in _items(xmp, _MWG_LIST).values():
        is_face = _text(fields.get("/mwg-rs:Type", "Face")) == "Face"
        if is_face and _ours(_mwg_box(fields), library_boxes):
            old.add(_text(fields.get("/mwg-rs:Name", "")).casefold())
        else:
            kept_mwg.append(fields)
    if kept_mwg or stored:
        new_mwg[MWG] = 'type="Struct"'
        new_mwg.update(_extra(xmp, MWG, (f"{MWG}/mwg-rs:AppliedToDimensions", _MWG_LIST)))
        new_mwg[f"{MWG}/mwg-rs:AppliedToDimensions"] = 'type="Struct"'
        new_mwg[f"{MWG}/mwg-rs:AppliedToDimensions/stDim:w"] = str(stored_size[0])
        new_mwg[f"{MWG}/mwg-rs:AppliedToDimensions/stDim:h"] = str(stored_size[1])
        new_mwg[f"{MWG}/mwg-rs:AppliedToDimensions/stDim:unit"] = "pixel"
        new_mwg[_MWG_LIST] = 'type="Bag"'
        n = 0
        for fields in kept_mwg:
            n += 1
            new_mwg.update({f"{_MWG_LIST}[{n}]{k}": v for k, v in fields.items()})
        for name, (x, y, w, h) in stored:
            n += 1
            item = f"{_MWG_LIST}[{n}]"
            new_mwg.update({item: 'type="Struct"', f"{item}/mwg-rs:Area": 'type="Struct"',
                            f"{item}/mwg-rs:Area/stArea:x": _num(x + w / 2),
                            f"{item}/mwg-rs:Area/stArea:y": _num(y + h / 2),
                            f"{item}/mwg-rs:Area/stArea:w": _num(w), f"{item}/mwg-rs:Area/stArea:h": _num(h),
                            f"{item}/mwg-rs:Area/stArea:unit": "normalized",
                            f"{item}/mwg-rs:Name": name, f"{item}/mwg-rs:Type": "Face"})
    new_mp: dict[str, object] = {}
    kept_mp = []
    for fields in _items(xmp, _MP_LIST).values():
        if _ours(_mp_box(fields), library_boxes):
            old.add(_text(fields.get("/MPReg:PersonDisplayName", "")).casefold())
        else:
            kept_mp.append(fields)
    if kept_mp or stored:
        new_mp[MP] = 'type="Struct"'
        new_mp.update(_extra(xmp, MP, (_MP_LIST,)))
        new_mp[_MP_LIST] = 'type="Bag"'
        n = 0
        for fields in kept_mp:
            n += 1
            new_mp.update({f"{_MP_LIST}[{n}]{k}": v for k, v in fields.items()})
        for name, (x, y, w, h) in stored:
            n += 1
            item = f"{_MP_LIST}[{n}]"
            new_mp.update({item: 'type="Struct"', f"{item}/MPReg:PersonDisplayName": name,
                           f"{item}/MPReg:Rectangle": f"{_num(x)}, {_num(y)}, {_num(w)}, {_num(h)}"})
    names = list(dict.fromkeys(f.name for f in faces))
    current = {n.casefold() for n in names}
    edits: dict[str, object] = {}
    deletions: dict[str, object] = {}
    for root, new in ((MWG, new_mwg), (MP, new_mp)):
        structure = _structure(xmp, root)
        if structure != new:
            deletions.update({k: None for k in structure})
            edits.update(new)
    for key, array, pattern in _TAG_KEYS:
        have = _as_list(xmp.get(key))
        prefix = pattern.format("")
        kept = [t for t in have if not (t.startswith(prefix) and t[len(prefix):].casefold() in old - current)]
        want = kept + [pattern.format(n) for n in names if pattern.format(n) not in kept]
        if want != have:
            deletions[key] = None
            if want:
                edits[key] = f'type="{array}"'
                edits.update({f"{key}[{i}]": v for i, v in enumerate(want, 1)})
    if not edits and not deletions:
        return None
    return {"__delete__": deletions, **edits}


def _extra(xmp: dict[str, object], root: str, ours: tuple[str, ...]) -> dict[str, object]:
    """Fields of a region structure other than the ones we rebuild: kept as they are."""
    return {k: v for k, v in _structure(xmp, root).items()
            if k != root and not any(k == o or k.startswith((o + "/", o + "[")) for o in ours)}


def _as_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value and not value.startswith("type="):
        return [value]
    return []


def apply_changes(data: bytes, changes: dict[str, object]) -> bytes:
    """``data`` (a photo file or an XMP packet) with ``changes`` applied, as bytes."""
    import pyexiv2

    deletions = changes.get("__delete__") or {}
    edits = {k: v for k, v in changes.items() if k != "__delete__"}
    with EXIV2_LOCK:
        try:
            img = pyexiv2.ImageData(data)
        except Exception as exc:
            raise MetadataError(" ".join(str(exc).split())[:120]) from None
        try:
            if deletions:
                img.modify_xmp(deletions)
            if edits:
                img.modify_xmp(edits)
            return img.get_bytes()
        except Exception as exc:
            raise MetadataError(" ".join(str(exc).split())[:120]) from None
        finally:
            img.close()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync, rename: a
    crash leaves the old file or the new one, never a truncated one. Keeps the file's mode."""
    tmp = path.with_name(f".{path.name}.faceorg-{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
