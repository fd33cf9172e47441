"""Alignment: the similarity transform, the margin crop and FaceNet's standardisation."""

from __future__ import annotations

import numpy as np
import pytest

from core.alignment import (
    AlignSettings,
    align_face,
    center_crop,
    crop_face,
    similarity_matrix,
    standardize,
)


def test_similarity_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (5, 2))
    angle, scale, t = 0.3, 1.7, np.array([12.0, -4.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ (scale * rot).T + t
    m = similarity_matrix(src, dst)
    np.testing.assert_allclose(m[:, :2], scale * rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], t, atol=1e-9)


def test_similarity_alignment_puts_the_eyes_on_the_template() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    eyes = np.array([[150.0, 120.0], [210.0, 125.0]])
    landmarks = np.vstack([eyes, [[180, 150], [160, 180], [205, 182]]])
    image[118:123, 148:153] = 255  # a white dot on the first eye
    out = align_face(image, landmarks, AlignSettings(method="similarity", zoom=0.8))
    y, x = np.unravel_index(np.argmax(out[..., 0]), out.shape[:2])
    template_eye = ((38.2946 / 112 - 0.5) * 0.8 + 0.5) * 160, ((51.6963 / 112 - 0.5) * 0.8 + 0.5) * 160
    assert abs(x - template_eye[0]) <= 4 and abs(y - template_eye[1]) <= 4


def test_crop_margin_and_shift() -> None:
    image = np.zeros((400, 400, 3), np.uint8)
    image[100:200, 100:200] = 200  # the "face" box
    tight = crop_face(image, (100, 100, 100, 100), AlignSettings(margin=0.0))
    assert tight.shape == (160, 160, 3) and tight[5:-5, 5:-5].min() == 200
    loose = crop_face(image, (100, 100, 100, 100), AlignSettings(margin=0.5))
    inner = loose[45:115, 45:115]  # the box occupies the central half
    assert inner.min() == 200 and loose[:20].max() == 0
    shifted = crop_face(image, (100, 100, 100, 100), AlignSettings(margin=0.0, shift_y=0.25))
    assert shifted[-30:].max() == 0 and shifted[:60, 5:-5].min() == 200


def test_crop_beyond_the_border_and_huge_boxes() -> None:
    image = np.full((50, 60, 3), 90, np.uint8)
    out = crop_face(image, (-20, -20, 100, 100), AlignSettings())
    assert out.shape == (160, 160, 3) and out.dtype == np.uint8
    big = np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), dtype=np.uint8)
    assert crop_face(big, (500, 500, 2500, 2400), AlignSettings()).shape == (160, 160, 3)
    assert center_crop(big).shape == (160, 160, 3)


def test_standardize_fixed_matches_facenet_fixed_image_standardization() -> None:
    faces = np.random.default_rng(2).integers(0, 256, (3, 160, 160, 3), dtype=np.uint8)
    x = standardize(faces)  # the default: what the 20180408 weights were trained with
    assert x.shape == (3, 3, 160, 160) and x.dtype == np.float32
    for i in range(3):
        expected = (faces[i].astype(np.float64) - 127.5) / 128.0
        np.testing.assert_allclose(x[i].transpose(1, 2, 0), expected, atol=1e-6)
    assert standardize(faces[0]).shape == (1, 3, 160, 160)
    with pytest.raises(ValueError, match="standardization"):
        standardize(faces, "bogus")  # type: ignore[arg-type]


def test_standardize_prewhiten_matches_facenet_prewhiten() -> None:
    faces = np.random.default_rng(2).integers(0, 256, (3, 160, 160, 3), dtype=np.uint8)
    x = standardize(faces, "prewhiten")
    assert x.shape == (3, 3, 160, 160) and x.dtype == np.float32
    for i in range(3):
        f = faces[i].astype(np.float64)
        expected = (f - f.mean()) / max(f.std(), 1 / np.sqrt(f.size))
        np.testing.assert_allclose(x[i].transpose(1, 2, 0), expected, atol=1e-4)
    flat = standardize(np.full((1, 160, 160, 3), 7, np.uint8), "prewhiten")
    assert np.isfinite(flat).all() and np.abs(flat).max() == pytest.approx(0.0)


def _whole_frame_crop(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The crop as it was made before issue 15: shrink the whole frame (INTER_AREA), then warp."""
    import cv2

    x, y, w, h = box
    half = max(w, h) / 2 * 1.2  # AlignSettings(): 10% margin, square
    cx, cy = x + w / 2, y + h / 2
    s = 2 * half / 160
    factor = 1.0 / s
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    matrix = np.array([[1.0, 0, -(cx - half)], [0, 1.0, -(cy - half)]]) / s
    matrix[:, :2] /= factor
    return cv2.warpAffine(small, matrix, (160, 160), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def test_large_face_crop_cuts_its_window_and_matches_the_whole_frame_shrink() -> None:
    """Big faces in a 12-megapixel photo: the crop shrinks only the face's window (its speed is in
    benchmarks/profile_import.py), and equals the crop made by shrinking the whole frame up to the area
    filter's grid phase."""
    import cv2
    from skimage import data

    photo = cv2.resize(data.astronaut(), (4000, 3000), interpolation=cv2.INTER_CUBIC)  # a real photo, 12 MP
    boxes = [(1150.0, 170.0, 560.0, 700.0),   # the face, ~600 px
             (1400.0, 400.0, 260.0, 260.0),   # smaller
             (-120.0, 2500.0, 400.0, 400.0),  # cut by the left and bottom edges
             (3700.0, -100.0, 380.0, 300.0)]  # cut by the right and top edges
    for box in boxes:
        new = crop_face(photo, box, AlignSettings())
        old = _whole_frame_crop(photo, box)
        diff = np.abs(new.astype(int) - old.astype(int))
        assert new.shape == (160, 160, 3)
        assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 6, (box, diff.mean())
