"""The export side: write the library's names into the photos' XMP (``faceorg export-xmp``).

Named faces only (a person, not an unnamed group; ignored faces left out). By default into a
sidecar ``photo.jpg.xmp`` (``sidecar_style="xmp"``: ``photo.xmp``), never touching the photo;
``embedded=True`` writes into JPEG, PNG, TIFF and WebP files (HEIC always gets a sidecar: exiv2
cannot write it). Every file is written atomically (:func:`core.metadata.xmp_write.write_atomic`),
and only when its XMP would change. After an embedded write the library's record of the file
(content hash, size, mtime) follows, so the next import does not take it for an edited photo.
One bad photo is reported with a reason and the export goes on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.imaging.loader import content_hash
from core.library.roots import local_path
from core.metadata.regions import swaps_axes, to_normalized, to_stored
from core.metadata.sidecars import sidecar_for, stored_frame
from core.metadata.xmp_read import MetadataError, read_embedded, xmp_from_bytes
from core.metadata.xmp_write import EMPTY_PACKET, NamedFace, apply_changes, plan_changes, write_atomic
from core.progress import Cancelled, CancelToken, ProgressFn, check, report
from core.storage.engine import Library, begin_write
from core.storage.schema import Assignment, Face, FaceMetadata, Person, Photo
from core.storage.states import PhotoStatus

SIDECAR_STYLES = ("jpg.xmp", "xmp")
EMBEDDABLE = {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp"}


@dataclass
class ExportReport:
    """What one export did. ``written``: files changed; ``unchanged``: files that already said it."""

    photos: int = 0
    written: int = 0
    unchanged: int = 0
    faces: int = 0
    sidecars: int = 0
    embedded: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0
    cancelled: bool = False

    def to_json(self) -> dict:
        out = asdict(self)
        out["errors"] = [{"path": p, "reason": r} for p, r in self.errors]
        out["elapsed_s"] = round(self.elapsed_s, 3)
        return out


@dataclass
class _PhotoFaces:
    id: int
    path: str
    width: int
    height: int
    named: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    old_names: set[str] = field(default_factory=set)


def export_xmp(library: Library, folders: Sequence[str | os.PathLike[str]] | None = None, *,
               embedded: bool = False, sidecar_style: str = "jpg.xmp", progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> ExportReport:
    """Write the names of the photos below ``folders`` (None: the whole library); see the module doc."""
    if sidecar_style not in SIDECAR_STYLES:
        raise ValueError(f"sidecar style must be one of {', '.join(SIDECAR_STYLES)}")
    t0 = time.monotonic()
    out = ExportReport()
    roots = None if folders is None else [os.path.abspath(os.fspath(f)) for f in folders]
    with library.session() as session:
        photos = _photos(session, roots)
    out.photos = len(photos)
    try:
        for i, photo in enumerate(photos):
            check(cancel)
            try:
                _export_one(library, photo, embedded, sidecar_style, out)
            except (MetadataError, OSError) as exc:
                out.errors.append((photo.path, _reason(exc)))
            report(progress, i + 1, len(photos), "writing names to photos")
    except Cancelled:
        out.cancelled = True
    out.elapsed_s = time.monotonic() - t0
    return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {exc.filename}" if exc.filename else "file not found"
    if isinstance(exc, PermissionError):
        return f"permission denied writing {exc.filename}" if exc.filename else "permission denied"
    if isinstance(exc, OSError):
        return f"cannot write ({exc.strerror or type(exc).__name__})"
    return str(exc)


def _photos(session: Session, roots: list[str] | None) -> list[_PhotoFaces]:
    """Photos with a named face, or with a face that metadata once named (to clean up its name)."""
    q = (select(Photo.id, local_path(session), Photo.width, Photo.height, Face.id, Face.x, Face.y, Face.w, Face.h,
                Face.ignored, Person.name, FaceMetadata.name)
         .join(Face, Face.photo_id == Photo.id)
         .outerjoin(Assignment, Assignment.face_id == Face.id)
         .outerjoin(Person, Person.id == Assignment.person_id)
         .outerjoin(FaceMetadata, FaceMetadata.face_id == Face.id)
         .where(Photo.status == PhotoStatus.DONE, Photo.duplicate_of.is_(None))
         .order_by(Photo.root_id, Photo.path, Face.id))
    photos: dict[int, _PhotoFaces] = {}
    for pid, path, width, height, _fid, x, y, w, h, ignored, person, meta in session.execute(q):
        if roots is not None and not any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            continue
        if not width or not height:
            continue
        p = photos.setdefault(pid, _PhotoFaces(pid, path, width, height))
        p.boxes.append((x, y, w, h))
        if person is not None and not ignored:
            p.named.append((person, (x, y, w, h)))
        if meta:
            p.old_names.add(meta)
    return [p for p in photos.values() if p.named or p.old_names]


def _export_one(library: Library, photo: _PhotoFaces, embedded: bool, style: str, out: ExportReport) -> None:
    if not os.path.isabs(photo.path):  # "<NAME>/...": its library root is not mapped here (core.library.roots)
        name = photo.path.partition(">")[0].lstrip("<")
        raise MetadataError(f"root '{name}' is not mapped on this computer: faceorg roots map {name} /path")
    path = Path(photo.path)
    frame = stored_frame(path)
    display = (frame.height, frame.width) if swaps_axes(frame.orientation) else (frame.width, frame.height)
    if display != (photo.width, photo.height):
        raise MetadataError(f"the photo is {display[0]}x{display[1]} but was {photo.width}x{photo.height} "
                            "when imported; import it again first")
    faces = [NamedFace(name, to_normalized(box, photo.width, photo.height)) for name, box in photo.named]
    boxes = [to_stored(to_normalized(b, photo.width, photo.height), frame.orientation) for b in photo.boxes]
    into_photo = embedded and path.suffix.lower() in EMBEDDABLE
    target = path if into_photo else sidecar_for(path, style)
    if target.exists() and not target.is_file():
        raise MetadataError(f"cannot write {target.name} (not a file)")
    if into_photo:
        data = path.read_bytes()
        current = read_embedded(path)
    elif target.exists():
        data = target.read_bytes()
        current = xmp_from_bytes(data)
    else:
        if not path.exists():
            raise MetadataError("file not found")
        data, current = EMPTY_PACKET, {}
    changes = plan_changes(current, faces, boxes, photo.old_names, frame.orientation, (frame.width, frame.height))
    out.faces += len(faces)
    if changes is None:
        out.unchanged += 1
        return
    new = apply_changes(data, changes)
    try:
        write_atomic(target, new)
    except PermissionError:
        raise MetadataError(f"permission denied writing {target.name}") from None
    except OSError as exc:
        raise MetadataError(f"cannot write {target.name} ({exc.strerror or type(exc).__name__})") from None
    out.written += 1
    if into_photo:
        out.embedded += 1
        _follow_file(library, photo.id, path)
    else:
        out.sidecars += 1


def _follow_file(library: Library, photo_id: int, path: Path) -> None:
    """The photo's pixels are unchanged: the library takes its new hash, size and mtime."""
    st = path.stat()
    with library.session() as session:
        begin_write(session)
        session.execute(update(Photo).where(Photo.id == photo_id).values(
            content_hash=content_hash(path), size=st.st_size, mtime=st.st_mtime))


__all__ = ["EMBEDDABLE", "SIDECAR_STYLES", "ExportReport", "export_xmp"]
