"""The part of an import that runs in worker threads: hash, decode and detect one file.

Workers never touch the database or the importer's index; they get plain values and
return a :class:`WorkItem` for the calling thread to decide on and write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from core.imaging.errors import os_error_reason
from core.imaging.loader import content_hash
from core.library.import_plan import KnownPhoto
from core.library.import_writer import FaceRecord, PhotoRecord
from core.library.quality import face_quality
from core.library.scanner import ScanFile
from core.pipeline import FacePipeline

#: Photos in flight beyond the workers' own: a finished one holds only its faces' 160-px crops, so the
#: workers keep decoding and detecting while the calling thread embeds a batch (with a window of only
#: 2 x workers they stalled during each batch and a core stood idle).
AHEAD = 16


@contextmanager
def opencv_threads(workers: int) -> Iterator[None]:
    """One OpenCV thread per call while ``workers`` threads already fill the cores (each detection
    spreading over all cores made the workers wait on each other: ~6% more CPU for the same photos);
    OpenCV's own setting is restored afterwards."""
    import cv2

    before = cv2.getNumThreads()
    if workers >= (os.cpu_count() or 1):
        cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


class ImportAction(StrEnum):
    """What an imported file is, so what is written (:func:`core.library.import_actions.apply`)."""

    NEW = "new"  # content not in the library: a new photo with its faces
    DUPLICATE = "duplicate"  # a copy of a photo in the library: a row without faces of its own
    MOVE = "move"  # a known photo whose file went away, found here: its row takes this path
    TOUCH = "touch"  # the same content at the same path (maybe restored after missing)
    REPLACE = "replace"  # a known path whose content changed: its faces are detected again
    REDUPLICATE = "reduplicate"  # a known copy that is now a copy of another photo
    ERROR = "error"  # could not be read


@dataclass(eq=False)
class WorkItem:
    """One file on its way through the import. ``action`` and ``target`` are set by the
    calling thread: what to write (None until decided) and the photo row it concerns."""

    file: ScanFile
    known: KnownPhoto | None
    record: PhotoRecord
    crops: np.ndarray | None = None  # None: not detected (its content is already in the library)
    action: ImportAction | None = None
    target: KnownPhoto | None = None


def prepare(pipeline: FacePipeline, file: ScanFile, known: KnownPhoto | None, known_digest: str | None,
            skip: frozenset[str]) -> WorkItem:
    """Worker thread: hash the file, then decode and detect unless its content is already in
    the library (``known_digest``: the content at this path; ``skip``: all known content).
    Reads nothing shared but ``skip``; never raises."""
    item = WorkItem(file, known, PhotoRecord(file.path, file.size, file.mtime))
    try:
        digest = item.record.content_hash = content_hash(file.path)
    except OSError as exc:
        item.record.error = os_error_reason(exc)
        return item
    if digest == known_digest or (known is None and digest in skip):
        return item
    return detect(pipeline, item)


def detect(pipeline: FacePipeline, item: WorkItem) -> WorkItem:
    """Decode and detect ``item``'s file, filling its record and crops (or its error)."""
    rec = item.record
    try:
        result, dets, crops = pipeline.prepare(item.file.path)
    except Exception as exc:  # one odd file must never stop an import
        rec.error = f"failed: {type(exc).__name__}: {exc}"[:200]
        return item
    if result.error is not None:
        rec.error = result.error
        return item
    rec.width, rec.height, rec.taken_at = result.width, result.height, result.date_taken
    rec.faces = [FaceRecord(d.box, np.asarray(d.landmarks), float(d.score), face_quality(d.box, crop))
                 for d, crop in zip(dets, crops, strict=True)]
    item.crops = crops
    return item
