"""add_manual_face: a hand-drawn box on a real photo is embedded, stored and recognised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data
from sqlalchemy import select

from core.embedding.embedder import EmbedderSettings
from core.library.grouping import add_manual_face
from core.library.people import NotFoundError, assign_face
from core.library.roots import local_path
from core.pipeline import FacePipeline, PipelineSettings
from core.storage.embeddings import load_matrix
from core.storage.schema import Assignment, Face, Photo, ReviewItem


@pytest.fixture(scope="module")
def pipeline() -> FacePipeline:
    return FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, threads=1)))


@pytest.fixture
def photo(tmp_path: Path, library, factory) -> tuple[int, tuple[float, float, float, float]]:
    """The astronaut photo in the library (no faces yet) and the box of her face."""
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=92)
    with library.session() as s:
        factory.photo(s, 0, path=str(path))
        photo_id = s.scalar(select(Photo.id).where(local_path(s) == str(path)))
    return photo_id, (170.0, 50.0, 90.0, 110.0)


def test_manual_face_is_stored_then_recognised(library, photo, pipeline):
    photo_id, box = photo
    first = add_manual_face(library, photo_id, box, pipeline)
    with library.session() as s:
        face = s.get(Face, first)
        assert face.manual and face.photo_id == photo_id and face.landmarks is None
        assert (face.x, face.y, face.w, face.h) == box
        assert face.quality_size == 90.0 and face.quality_sharpness > 0
        assert s.get(Photo, photo_id).face_count == 1
        ids, vectors = load_matrix(s, pipeline.model_id, [first])
        assert ids.tolist() == [first] and np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-4)
        assert s.get(Assignment, first) is None  # nobody named yet: left for grouping
        assign_face(s, first, "Eileen")
    x, y, w, h = box
    second = add_manual_face(library, photo_id, (x + 4, y - 3, w - 2, h + 4), pipeline)
    with library.session() as s:
        row = s.get(Assignment, second)
        assert row is not None and row.source == "recognizer"
        assert s.get(Assignment, first).person_id == row.person_id
        assert s.scalars(select(ReviewItem)).all() == []


def test_box_outside_the_photo_or_unknown_photo(library, photo, pipeline):
    photo_id, _ = photo
    with pytest.raises(ValueError):
        add_manual_face(library, photo_id, (600.0, 600.0, 50.0, 50.0), pipeline)
    with pytest.raises(NotFoundError):
        add_manual_face(library, photo_id + 100, (10.0, 10.0, 50.0, 50.0), pipeline)
    with library.session() as s:
        assert s.scalars(select(Face)).all() == []


def test_box_is_clipped_to_the_photo(library, photo, pipeline):
    photo_id, _ = photo
    face_id = add_manual_face(library, photo_id, (-20.0, 480.0, 100.0, 100.0), pipeline)
    with library.session() as s:
        face = s.get(Face, face_id)
        assert (face.x, face.y, face.w, face.h) == (0.0, 480.0, 80.0, 32.0)
