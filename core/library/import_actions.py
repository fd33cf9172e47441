"""What each imported file is (new, a copy, moved, changed, bad) and how it is written.

:func:`decide` runs on the calling thread as each worker result arrives and updates the
in-memory :class:`LibraryIndex` at once, so that the next files see it (a second copy of a
new photo is a duplicate even before the first is committed). :func:`apply` writes the
decision inside the batch's transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core import faults
from core.library import import_writer as writer
from core.library.import_plan import KnownPhoto, LibraryIndex
from core.library.import_worker import ImportAction, WorkItem, detect
from core.library.results import ImportReport
from core.pipeline import FacePipeline
from core.storage.states import PhotoStatus


@dataclass
class Tally:
    """What one batch did: report counters, new faces, errors (added to the report by :meth:`add_to`)."""

    photos_new: int = 0
    photos_unchanged: int = 0
    photos_moved: int = 0
    photos_duplicate: int = 0
    photos_restored: int = 0
    photos_updated: int = 0
    faces_new: int = 0
    new_face_ids: list[int] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    stale_faces: list[tuple[int, str]] = field(default_factory=list)

    def add_to(self, report: ImportReport) -> None:
        report.photos_new += self.photos_new
        report.photos_unchanged += self.photos_unchanged
        report.photos_moved += self.photos_moved
        report.photos_duplicate += self.photos_duplicate
        report.photos_restored += self.photos_restored
        report.photos_updated += self.photos_updated
        report.faces_new += self.faces_new
        report.new_face_ids += self.new_face_ids
        report.errors += self.errors
        report.stale_faces += self.stale_faces


def decide(index: LibraryIndex, pipeline: FacePipeline, item: WorkItem) -> None:
    """What the file is, from its content hash; updates the in-memory index at once so
    that the next files see it."""
    rec, known = item.record, item.known
    if known is not None and known.path != rec.path:  # its row moved on to another file meanwhile
        known = item.known = index.by_path.get(rec.path)
    original = index.original(rec.content_hash) if rec.error is None else None
    if rec.error is not None:
        item.action = ImportAction.ERROR
    elif known is not None and known.same_content(rec.content_hash):
        item.action = ImportAction.TOUCH
    elif known is not None and known.duplicate_of is not None and original not in (None, known):
        item.action, item.target = ImportAction.REDUPLICATE, original
    elif known is not None:
        item.action = ImportAction.REPLACE
    elif original is None:
        item.action = ImportAction.NEW
    elif original.id is None or _still_there(original):
        item.action, item.target = ImportAction.DUPLICATE, original
    else:
        item.action, item.target = ImportAction.MOVE, original
        index.move(original, rec.path, rec.size, rec.mtime)
        original.status = PhotoStatus.DONE
    if item.action not in (ImportAction.NEW, ImportAction.REPLACE):
        item.crops = None  # detected for nothing (e.g. a copy of a photo new in this import)
        item.record.faces = []
        return
    if item.crops is None:
        detect(pipeline, item)  # hashed as known content, which has changed since
        if rec.error is not None:
            item.action = ImportAction.ERROR
            return
    if item.action == ImportAction.NEW:
        item.target = KnownPhoto(None, rec.path, rec.size, rec.mtime, PhotoStatus.DONE, rec.content_hash)
        index.add(item.target)


def apply(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    """Write ``item`` as decided, inside the caller's write transaction."""
    if item.action is None:
        raise ValueError(f"no import action decided for {item.record.path}")
    _WRITERS[item.action](session, index, item, model_id, tally)


def _write_error(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    rec, known = item.record, item.known
    photo_id = writer.record_error(session, known.id if known else None, rec)
    if known is None:
        index.add(KnownPhoto(photo_id, rec.path, rec.size, rec.mtime, PhotoStatus.ERROR, rec.content_hash))
    else:
        known.status, known.size, known.mtime = PhotoStatus.ERROR, rec.size, rec.mtime
    tally.errors.append((rec.path, rec.error or "error"))


def _write_new(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    assert item.target is not None
    item.target.id, face_ids = writer.insert_photo(session, item.record, model_id)
    faults.point("import.faces")
    tally.photos_new += 1
    tally.faces_new += len(face_ids)
    tally.new_face_ids += face_ids


def _write_duplicate(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    rec, target = item.record, item.target
    assert target is not None and target.id is not None
    photo_id = writer.insert_duplicate(session, rec, target.id)
    index.add(KnownPhoto(photo_id, rec.path, rec.size, rec.mtime, PhotoStatus.DONE, rec.content_hash,
                         duplicate_of=target.id))
    tally.photos_duplicate += 1


def _write_move(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    assert item.target is not None and item.target.id is not None
    writer.set_file(session, item.target.id, item.record)
    tally.photos_moved += 1


def _write_touch(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    rec, known = item.record, item.known
    assert known is not None and known.id is not None
    writer.set_file(session, known.id, rec)
    if known.status == PhotoStatus.MISSING:
        tally.photos_restored += 1
    else:
        tally.photos_unchanged += 1
    known.status, known.size, known.mtime = PhotoStatus.DONE, rec.size, rec.mtime


def _write_reduplicate(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    rec, known, target = item.record, item.known, item.target
    assert known is not None and known.id is not None and target is not None and target.id is not None
    writer.set_file(session, known.id, rec, duplicate_of=target.id)
    known.size, known.mtime, known.status = rec.size, rec.mtime, PhotoStatus.DONE
    known.content_hash, known.duplicate_of = rec.content_hash, target.id
    tally.photos_updated += 1


def _write_replace(session: Session, index: LibraryIndex, item: WorkItem, model_id: str, tally: Tally) -> None:
    rec, known = item.record, item.known
    assert known is not None and known.id is not None
    face_ids, inserted, stale = writer.replace_content(session, known.id, rec, model_id)
    writer.record_stale_faces(session, [(face_id, rec.path) for face_id in stale])
    tally.stale_faces += [(face_id, rec.path) for face_id in stale]
    known.duplicate_of, known.status, known.size, known.mtime = None, PhotoStatus.DONE, rec.size, rec.mtime
    index.rehash(known, rec.content_hash)
    tally.photos_updated += 1
    tally.faces_new += inserted
    tally.new_face_ids += face_ids


_Writer = Callable[[Session, LibraryIndex, WorkItem, str, Tally], None]
_WRITERS: dict[ImportAction, _Writer] = {
    ImportAction.ERROR: _write_error,
    ImportAction.NEW: _write_new,
    ImportAction.DUPLICATE: _write_duplicate,
    ImportAction.MOVE: _write_move,
    ImportAction.TOUCH: _write_touch,
    ImportAction.REDUPLICATE: _write_reduplicate,
    ImportAction.REPLACE: _write_replace,
}


def _still_there(row: KnownPhoto) -> bool:
    """The row's file is where and as it was (so a file with its content is a copy, not the
    file moved away). A photo under a library root not mapped on this computer ("<NAME>/...",
    see core.library.roots) may well be there: it is never taken for moved."""
    if not os.path.isabs(row.path):
        return True
    try:
        st = os.stat(row.path)
    except OSError:
        return False
    return st.st_size == row.size and st.st_mtime == row.mtime
