"""Faces the user draws by hand around a face the detector missed.

The five landmarks of such a face are unknown, so it is always cut out with the ``crop`` method
(box + margin, square) of the pipeline's alignment settings, whatever method the pipeline uses
for detected faces; it is embedded like any other face, stored with ``manual=True``, then
recognised (named automatically, suggested for review, or left for the next grouping).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.alignment import crop_face
from core.clustering.recognition import recognize
from core.imaging.loader import load_image
from core.library.people import NotFoundError
from core.library.quality import FaceQuality, face_quality
from core.library.review import gallery_faces, load_thresholds, not_person_map, pick_model, store_recognition
from core.library.roots import roots_of
from core.storage.embeddings import load_matrix, save_embeddings
from core.storage.engine import Library, begin_write
from core.storage.schema import Assignment, Face, Photo

if TYPE_CHECKING:
    from core.pipeline import FacePipeline

MIN_BOX = 4.0  # px: smaller boxes are refused


@dataclass(frozen=True)
class RecognizeOutcome:
    """:func:`recognize_new_faces`: faces named automatically and faces suggested for review."""

    recognized: list[int]
    suggested: list[int]


def recognize_new_faces(session: Session, face_ids: list[int], *, model_id: str | None = None) -> RecognizeOutcome:
    """Recognise just these faces (no clustering) in the caller's session: name them, suggest
    them for review, or leave them. For faces added one at a time (a hand-drawn box)."""
    begin_write(session)
    model = model_id or pick_model(session)
    if model is None or not face_ids:
        return RecognizeOutcome([], [])
    th = load_thresholds(session)
    q_ids, q = load_matrix(session, model, face_ids, skip_ignored=True)
    owned = set(session.scalars(select(Assignment.face_id).where(
        Assignment.face_id.in_([int(f) for f in q_ids]), Assignment.person_id.is_not(None))))
    keep = np.array([int(f) not in owned for f in q_ids], dtype=bool)
    q_ids, q = q_ids[keep], q[keep]
    g_ids, g_person = gallery_faces(session, th.grow_max)
    g_rows, g = load_matrix(session, model, g_ids)
    person_of = dict(zip(g_ids.tolist(), g_person.tolist(), strict=True))
    banned = not_person_map(session, q_ids.tolist())
    exclude = {i: banned[int(f)] for i, f in enumerate(q_ids) if int(f) in banned}
    rec = recognize(q, g, np.array([person_of[int(f)] for f in g_rows], np.int64), th.recognition, exclude=exclude)
    auto, review = store_recognition(session, q_ids, rec)
    return RecognizeOutcome(auto, review)


def _clip_box(box: tuple[float, float, float, float], width: int, height: int) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in box)
    if w < 0:
        x, w = x + w, -w
    if h < 0:
        y, h = y + h, -h
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(width), x + w), min(float(height), y + h)
    if x1 - x0 < MIN_BOX or y1 - y0 < MIN_BOX:
        raise ValueError(f"The box {tuple(round(v) for v in box)} is too small or outside the photo")
    return x0, y0, x1 - x0, y1 - y0


def embed_box(path: str, box: tuple[float, float, float, float], pipeline: FacePipeline
              ) -> tuple[tuple[float, float, float, float], np.ndarray, FaceQuality]:
    """Cut out and embed the face in ``box`` (original-photo pixels) of the photo at ``path`` like
    a hand-drawn face: (box clipped to the photo, embedding, quality). Raises ``ValueError`` for
    an empty box, ``ImageLoadError`` when the file cannot be read."""
    loaded = load_image(path, max_side=pipeline.settings.crop_max_side)
    x, y, w, h = _clip_box(box, loaded.original_width, loaded.original_height)
    s = loaded.scale
    settings = dataclasses.replace(pipeline.settings.align, method="crop")
    crop = crop_face(loaded.rgb, (x * s, y * s, w * s, h * s), settings)
    embedding = np.asarray(pipeline.embedder.embed(crop[None])[0], dtype=np.float32)
    return (x, y, w, h), embedding, face_quality((x, y, w, h), crop)


def add_manual_face(library: Library, photo_id: int, box: tuple[float, float, float, float],
                    pipeline: FacePipeline) -> int:
    """Cut out, embed and store the face in ``box`` (x, y, w, h in original-photo pixels) of photo
    ``photo_id``, then recognise it; returns the new face id. Raises ``NotFoundError`` for an
    unknown photo, ``ValueError`` for an empty box, ``ImageLoadError`` when the file cannot be read."""
    with library.session() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            raise NotFoundError(f"No photo {photo_id}")
        path = roots_of(session).local(photo.root_id, photo.path)
    (x, y, w, h), embedding, quality = embed_box(path, box, pipeline)
    with library.session() as session:
        begin_write(session)
        face = Face(photo_id=photo_id, x=x, y=y, w=w, h=h, landmarks=None, score=1.0, manual=True,
                    quality_size=quality.size, quality_sharpness=quality.sharpness)
        session.add(face)
        session.flush()
        save_embeddings(session, pipeline.model_id, [(face.id, np.asarray(embedding, dtype=np.float32))])
        session.execute(update(Photo).where(Photo.id == photo_id).values(face_count=Photo.face_count + 1))
        recognize_new_faces(session, [face.id], model_id=pipeline.model_id)
        return face.id
