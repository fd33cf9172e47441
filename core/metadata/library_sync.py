"""The import side: names from photo metadata into the library.

After the importer has stored a folder's photos and faces, :func:`sync_metadata` reads the XMP of
every photo whose content or sidecars changed since it was last read (all of them the first time),
on the calling thread only (see :data:`core.metadata.xmp_read.EXIV2_LOCK`), and:

* a face region that matches a detected face (:mod:`core.metadata.matching`) names it;
* a face region with no detected face becomes a face of its own, cut out and embedded from the
  region box like a hand-drawn face (:func:`core.library.manual.embed_box`); the next read finds
  that face, so one region never makes two faces;
* a name-only tag names the photo's only face; on a photo with several faces it becomes a
  review suggestion for each of its unnamed faces.

A name from metadata is the user's own naming: the assignment has source "user" (never changed
by recognition or grouping, a must-link fact for both), and a :class:`FaceMetadata` row records
that it came from metadata. A name equal to an existing person (``name_key``) joins them. What
the user decided in this app wins: a face the user named otherwise, or said is not that person,
keeps its name; the disagreement goes to the report and (unless the user already said "not this
person") to the review queue. A changed sidecar renames faces that metadata named and nobody
changed since. Creating people here is the one exception to "only core.library.people creates
people": metadata naming is not an undoable user operation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.imaging.errors import ImageLoadError
from core.library.people import name_key, normalize_name
from core.library.roots import local_path
from core.metadata.matching import match
from core.metadata.regions import Box, to_display, to_pixels
from core.metadata.sidecars import StoredFrame, read_photo_tags, signature, stored_frame
from core.metadata.sync_batch import Batch, FaceRow
from core.metadata.xmp_read import MetadataError, PhotoTags
from core.progress import CancelToken, ProgressFn, check, report
from core.storage.embeddings import save_embeddings
from core.storage.engine import Library, begin_write
from core.storage.schema import Face, MetadataSource, Photo, utcnow
from core.storage.states import AssignmentSource, PhotoStatus

if TYPE_CHECKING:
    from core.pipeline import FacePipeline

COMMIT_EVERY = 64


@dataclass
class MetadataReport:
    """What one metadata read did. ``skipped``/``problems``/``conflicts``: (path, one line)."""

    photos_read: int = 0
    faces_named: int = 0
    region_faces: int = 0
    suggestions: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    new_face_ids: list[int] = field(default_factory=list)


def sync_metadata(library: Library, roots: Sequence[str], pipeline: FacePipeline | None, *,
                  progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> MetadataReport:
    """Read the metadata of the photos below ``roots`` that changed since last read (module doc)."""
    out = MetadataReport()
    with library.session() as session:
        todo = _changed_photos(session, roots)
    for start in range(0, len(todo), COMMIT_EVERY):
        check(cancel)
        chunk = todo[start:start + COMMIT_EVERY]
        read = [_read(path) for _, path, _ in chunk]
        with library.session() as session:
            begin_write(session)
            batch = Batch(session, [photo_id for (photo_id, _, _), (frame, tags, _) in zip(chunk, read, strict=True)
                                     if frame is not None and (tags.regions or tags.names)])
            batch.load_people({_clean(n) for _, tags, _ in read for n in [*(r.name for r in tags.regions), *tags.names]}
                              - {""})
            for (photo_id, path, sig), (frame, tags, problems) in zip(chunk, read, strict=True):
                out.problems += [(path, p) for p in problems]
                _apply_photo(batch, photo_id, path, sig, frame, tags, pipeline, out)
                out.photos_read += 1
            batch.flush()
        report(progress, min(start + COMMIT_EVERY, len(todo)), len(todo), "reading photo metadata")
    return out


def _clean(name: str) -> str:
    try:
        return normalize_name(name)
    except ValueError:
        return ""


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _changed_photos(session: Session, roots: Sequence[str]) -> list[tuple[int, str, str]]:
    rows = session.execute(select(Photo.id, local_path(session), Photo.content_hash, MetadataSource.signature)
                           .outerjoin(MetadataSource, MetadataSource.photo_id == Photo.id)
                           .where(Photo.status == PhotoStatus.DONE, Photo.duplicate_of.is_(None)))
    todo = []
    for photo_id, path, digest, old in rows:
        if not _under(path, roots):
            continue
        sig = f"{digest}|{signature(path)}"
        if sig != old:
            todo.append((photo_id, path, sig))
    return sorted(todo, key=lambda t: t[1])


def _read(path: str) -> tuple[StoredFrame | None, PhotoTags, list[str]]:
    try:
        frame = stored_frame(path)
    except MetadataError as exc:
        return None, PhotoTags(), [f"photo: {exc}"]
    tags, problems = read_photo_tags(path, frame)
    return frame, tags, problems


def _apply_photo(batch: Batch, photo_id: int, path: str, sig: str, frame: StoredFrame | None,
                 tags: PhotoTags, pipeline: FacePipeline | None, out: MetadataReport) -> None:
    out.skipped += [(path, f'region "{s.name}": {s.reason}') for s in tags.skipped]
    skipped = [{"name": s.name, "reason": s.reason} for s in tags.skipped]
    if frame is not None and (tags.regions or tags.names):
        width, height = batch.sizes.get(photo_id, (0, 0))
        faces = batch.faces[photo_id]
        boxes = [to_pixels(to_display(r.box, frame.orientation), width, height) for r in tags.regions]
        matched = match(boxes, [f.box for f in faces])
        named_here: set[int] = set()
        for region, box, j in zip(tags.regions, boxes, matched, strict=True):
            try:
                name = normalize_name(region.name)
            except ValueError as exc:
                skipped.append({"name": region.name[:50], "reason": str(exc)})
                out.skipped.append((path, f'region "{region.name[:50]}": {exc}'))
                continue
            if j is None:
                face = _region_face(batch, photo_id, path, box, name, pipeline, out, skipped)
                if face is not None:
                    faces.append(face)
                continue
            if faces[j].ignored:
                reason = "its face is ignored in the library"
                skipped.append({"name": name, "reason": reason})
                out.skipped.append((path, f'region "{name}": {reason}'))
                continue
            _name_face(batch, path, faces[j], name, "region", out)
            named_here.add(faces[j].id)
        _name_tags(batch, path, faces, tags.names, named_here, out)
    batch.sources.append({"photo_id": photo_id, "signature": sig, "source": tags.source or None,
                          "skipped": skipped, "read_at": utcnow()})


def _name_face(batch: Batch, path: str, face: FaceRow, name: str, origin: str, out: MetadataReport) -> None:
    key = name_key(name)
    if face.person_key == key:  # already this person: just remember where the name also comes from
        batch.record(face.id, name, origin)
        face.meta_name = name
        return
    by_user = face.source == AssignmentSource.USER
    ours = by_user and face.meta_name is not None and face.person_key == name_key(face.meta_name)
    if by_user and not ours:  # the user named it in this app: never replaced silently
        person_id, person_name = batch.person(name)
        asked = batch.suggest(face.id, person_id)
        out.suggestions += int(asked)
        out.conflicts.append((path, f'face {face.id} is "{face.person_name}" in the library, metadata says '
                                    f'"{person_name}"' + (" (in the review queue)" if asked else "")))
        return
    person_id, person_name = batch.person(name)
    if (face.id, person_id) in batch.said_not:
        out.conflicts.append((path, f'face {face.id}: metadata says "{person_name}", you said it is not'))
        return
    batch.assign[face.id] = person_id
    batch.record(face.id, name, origin)
    face.person_id, face.source, face.person_key, face.person_name = person_id, AssignmentSource.USER, key, person_name
    face.meta_name = name
    out.faces_named += 1


def _region_face(batch: Batch, photo_id: int, path: str, box: Box, name: str, pipeline: FacePipeline | None,
                 out: MetadataReport, skipped: list[dict[str, str]]) -> FaceRow | None:
    reason = None
    if pipeline is None:
        reason = "no detected face here, and no face model to embed the region"
    else:
        from core.library.manual import embed_box

        try:
            clipped, embedding, quality = embed_box(path, box, pipeline)
        except (ValueError, ImageLoadError) as exc:
            reason = f"no detected face here, and the region cannot be cut out: {exc}"
    if reason is not None:
        skipped.append({"name": name, "reason": reason})
        out.skipped.append((path, f'region "{name}": {reason}'))
        return None
    assert pipeline is not None
    session = batch.session
    x, y, w, h = clipped
    face = Face(photo_id=photo_id, x=x, y=y, w=w, h=h, landmarks=None, score=1.0, manual=True,
                quality_size=quality.size, quality_sharpness=quality.sharpness)
    session.add(face)
    session.flush()
    save_embeddings(session, pipeline.model_id, [(face.id, embedding)])
    session.execute(update(Photo).where(Photo.id == photo_id).values(face_count=Photo.face_count + 1))
    person_id, person_name = batch.person(name)
    batch.assign[face.id] = person_id
    batch.record(face.id, name, "region", created=True)
    out.region_faces += 1
    out.faces_named += 1
    out.new_face_ids.append(face.id)
    return FaceRow(face.id, clipped, False, person_id, AssignmentSource.USER, name_key(name), person_name, name)


def _name_tags(batch: Batch, path: str, faces: list[FaceRow], names: list[str], named_here: set[int],
               out: MetadataReport) -> None:
    """Name-only tags: the photo's one face takes the name (unless a region of this read named it:
    then, like on a photo of several faces, the name becomes a suggestion)."""
    live = [f for f in faces if not f.ignored]
    have = {f.person_key for f in live if f.person_key is not None}
    for raw in names:
        try:
            name = normalize_name(raw)
        except ValueError:
            continue
        if name_key(name) in have:
            continue  # a face of this photo already has the name
        if len(live) == 1 and live[0].id not in named_here:
            _name_face(batch, path, live[0], name, "tag", out)
            have.add(name_key(name))
            continue
        unnamed = [f for f in live if f.person_id is None or f.source != AssignmentSource.USER] if len(live) > 1 else []
        if not unnamed:
            continue
        person_id, _ = batch.person(name)
        out.suggestions += sum(batch.suggest(f.id, person_id) for f in unnamed)
