"""FacePipeline end to end on real photos: boxes in original pixels, EXIF, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from core.embedding.embedder import EmbedderSettings
from core.pipeline import FacePipeline, PipelineSettings


@pytest.fixture(scope="module")
def pipeline() -> FacePipeline:
    torch.set_num_threads(2)
    return FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8)))


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut()[:, 60:460])  # 512 x 400, one face


def test_faces_of_an_array(pipeline: FacePipeline, portrait: np.ndarray) -> None:
    faces = pipeline.faces(portrait)
    assert len(faces) == 1
    face = faces[0]
    x, y, w, h = face.box
    assert 100 < x + w / 2 < 250 and 40 < y + h / 2 < 200  # the astronaut's face
    assert face.embedding.shape == (512,) and face.embedding.dtype == np.float32
    assert np.linalg.norm(face.embedding) == pytest.approx(1.0, abs=1e-5)
    assert face.landmarks.shape == (5, 2) and 0 < face.score <= 1


def test_exif_rotated_file_gives_upright_coordinates(pipeline: FacePipeline, portrait: np.ndarray,
                                                     tmp_path: Path) -> None:
    upright = tmp_path / "upright.jpg"
    Image.fromarray(portrait).save(upright, quality=95)
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": the stored pixels are turned the other way
    Image.fromarray(np.rot90(portrait, k=1).copy()).save(rotated, quality=95, exif=exif)
    a = pipeline.faces_from_path(upright)
    b = pipeline.faces_from_path(rotated)
    assert (a.width, a.height) == (b.width, b.height) == (400, 512)
    assert len(a.faces) == len(b.faces) == 1
    assert np.abs(np.subtract(a.faces[0].box, b.faces[0].box)).max() < 6
    assert float(a.faces[0].embedding @ b.faces[0].embedding) > 0.95


def test_big_photo_is_decoded_small_but_reported_in_original_pixels(pipeline: FacePipeline, portrait: np.ndarray,
                                                                   tmp_path: Path) -> None:
    big = np.asarray(Image.fromarray(portrait).resize((2400, 3072)))
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, quality=90)
    small = pipeline.faces_from_path(tmp_path / "big.jpg")
    assert (small.width, small.height) == (2400, 3072)
    ref = pipeline.faces(portrait)[0]
    x, y, w, h = small.faces[0].box
    assert abs(x / 6 - ref.box[0]) < 8 and abs(w / 6 - ref.box[2]) < 10


@pytest.mark.parametrize("content,reason", [(b"", "zero-byte"), (b"hello, not a photo", "not an image")])
def test_bad_files_give_an_error_not_an_exception(pipeline: FacePipeline, tmp_path: Path, content: bytes,
                                                  reason: str) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    result = pipeline.faces_from_path(path)
    assert result.faces == [] and reason in (result.error or "")
    assert result.to_json()["error"] == result.error


def test_no_face(pipeline: FacePipeline) -> None:
    assert pipeline.faces(np.full((300, 300, 3), 128, np.uint8)) == []
