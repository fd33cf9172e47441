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


def _collage(portrait: np.ndarray, sides: tuple[int, ...]) -> np.ndarray:
    """A 12-megapixel photo (4000 x 3000) with the astronaut's face pasted at the given sizes."""
    import cv2

    canvas = np.full((3000, 4000, 3), 90, np.uint8)
    face = portrait[40:240, 100:300]  # the face and a little around it
    for i, side in enumerate(sides):
        x, y = 200 + i * 1250, 600
        canvas[y:y + side, x:x + side] = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    return canvas


@pytest.mark.parametrize("sides", [(900, 700), (900, 150)])
def test_12mp_photo_detects_on_a_dct_scaled_copy_and_crops_as_the_full_photo_does(
        pipeline: FacePipeline, portrait: np.ndarray, tmp_path: Path, sides: tuple[int, ...]) -> None:
    """Big faces only: decoded once at 1/2 scale. A small face: cut from a copy large enough for it.
    Either way the faces and their embeddings match those cut from the full-size photo."""
    from core.alignment import face_input
    from core.imaging.loader import load_image

    path = tmp_path / "group.jpg"
    Image.fromarray(_collage(portrait, sides)).save(path, quality=92)
    result, dets, crops = pipeline.prepare(path)
    assert (result.width, result.height) == (4000, 3000) and len(dets) == len(sides)
    reduced = load_image(path, max_side=pipeline.settings.detect_side, reduce_only=True)
    assert reduced.scale == 0.5 and reduced.rgb.shape == (1500, 2000, 3)  # the JPEG's DCT scale
    source = pipeline._crop_source(path, reduced, dets)
    smallest_window = min(max(d.box[2:]) for d in dets) * 1.2
    expected_scale = 0.5 if smallest_window * 0.5 >= pipeline.settings.crop_min_window else 1.0
    assert source.scale == expected_scale
    full = load_image(path).rgb
    reference = np.stack([face_input(full, d, pipeline.settings.align) for d in dets])
    a, b = pipeline.embedder.embed(crops), pipeline.embedder.embed(reference)
    assert (a * b).sum(1).min() > 0.98
    on_full = sorted(pipeline.detector().detect(full), key=lambda d: d.box[0])  # the old path: full frame
    for d, f in zip(sorted(dets, key=lambda d: d.box[0]), on_full, strict=True):  # in original pixels
        assert np.abs(np.subtract(d.box, f.box)).max() < 0.05 * f.box[2]
