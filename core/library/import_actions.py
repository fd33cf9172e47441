"""What each imported file is (new, a copy, moved, changed, bad) and how it is written.

:func:`decide` runs on the calling thread as each worker result arrives and updates the
in-memory :class:`LibraryIndex` at once, so that the next files see it (a second copy of a
new photo is a duplicate even before the first is committed). :func:`apply` writes the
decision inside the batch's transaction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core import faults
from core.library import import_writer as writer
from core.library.import_plan import KnownPhoto, LibraryIndex
from core.library.import_worker import WorkItem, detect
from core.pipeline import FacePipeline


@dataclass
class Tally:
    """What one batch did: report counters, new faces, errors."""

    counts: dict[str, int] = field(default_factory=dict)
    new_face_ids: list[int] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    stale_faces: list[tuple[int, str]] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def decide(index: LibraryIndex, pipeline: FacePipeline, item: WorkItem) -> None:
    """What the file is, from its content hash; updates the in-memory index at once so
    that the next files see it."""
    rec, known = item.record, item.known
    if known is not None and known.path != rec.path:  # its row moved on to another file meanwhile
        known = item.known = index.by_path.get(rec.path)
    original = index.original(rec.content_hash) if rec.error is None else None
    if rec.error is not None:
        item.action = "error"
    elif known is not None and known.same_content(rec.content_hash):
        item.action = "touch"
    elif known is not None and known.duplicate_of is not None and original not in (None, known):
        item.action, item.target = "reduplicate", original
    elif known is not None:
        item.action = "replace"
    elif original is None:
        item.action = "new"
    elif original.id is None or _still_there(original):
        item.action, item.target = "duplicate", original
    else:
        item.action, item.target = "move", original
        index.move(original, rec.path, rec.size, rec.mtime)
        original.status = "done"
    if item.action not in ("new", "replace"):
        item.crops = None  # detected for nothing (e.g. a copy of a photo new in this import)
        item.record.faces = []
        return
    if item.crops is None:
        detect(pipeline, item)  # hashed as known content, which has changed since
        if rec.error is not None:
            item.action = "error"
            return
    if item.action == "new":
        item.target = KnownPhoto(None, rec.path, rec.size, rec.mtime, "done", rec.content_hash)
        index.add(item.target)


def apply(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    """Write ``item`` as decided, inside the caller's write transaction."""
    rec, known, target = item.record, item.known, item.target
    if item.action == "error":
        photo_id = writer.record_error(session, known.id if known else None, rec)
        if known is None:
            index.add(KnownPhoto(photo_id, rec.path, rec.size, rec.mtime, "error", rec.content_hash))
        else:
            known.status, known.size, known.mtime = "error", rec.size, rec.mtime
        tally.errors.append((rec.path, rec.error or "error"))
    elif item.action == "new":
        assert target is not None
        target.id, face_ids = writer.insert_photo(session, rec, model_id)
        faults.point("import.faces")
        tally.count("photos_new")
        tally.count("faces_new", len(face_ids))
        tally.new_face_ids += face_ids
    elif item.action == "duplicate":
        assert target is not None and target.id is not None
        photo_id = writer.insert_duplicate(session, rec, target.id)
        index.add(KnownPhoto(photo_id, rec.path, rec.size, rec.mtime, "done", rec.content_hash,
                             duplicate_of=target.id))
        tally.count("photos_duplicate")
    elif item.action == "move":
        assert target is not None and target.id is not None
        writer.set_file(session, target.id, rec)
        tally.count("photos_moved")
    elif item.action == "touch":
        assert known is not None and known.id is not None
        writer.set_file(session, known.id, rec)
        tally.count("photos_restored" if known.status == "missing" else "photos_unchanged")
        known.status, known.size, known.mtime = "done", rec.size, rec.mtime
    elif item.action == "reduplicate":
        assert known is not None and known.id is not None and target is not None and target.id is not None
        writer.set_file(session, known.id, rec, duplicate_of=target.id)
        known.size, known.mtime, known.status = rec.size, rec.mtime, "done"
        known.content_hash, known.duplicate_of = rec.content_hash, target.id
        tally.count("photos_updated")
    elif item.action == "replace":
        assert known is not None and known.id is not None
        face_ids, inserted, stale = writer.replace_content(session, known.id, rec, model_id)
        writer.record_stale_faces(session, [(face_id, rec.path) for face_id in stale])
        tally.stale_faces += [(face_id, rec.path) for face_id in stale]
        known.duplicate_of, known.status, known.size, known.mtime = None, "done", rec.size, rec.mtime
        index.rehash(known, rec.content_hash)
        tally.count("photos_updated")
        tally.count("faces_new", inserted)
        tally.new_face_ids += face_ids
    else:
        raise ValueError(f"unknown import action {item.action!r}")


def _still_there(row: KnownPhoto) -> bool:
    """The row's file is where and as it was (so a file with its content is a copy, not the
    file moved away)."""
    try:
        st = os.stat(row.path)
    except OSError:
        return False
    return st.st_size == row.size and st.st_mtime == row.mtime
