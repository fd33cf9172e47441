"""Detectors and real photos for the detection tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from core.detection import DETECTOR_NAMES, Detector, make_detector
from core.paths import lfw_default

# Frontal LFW faces, one person near the centre, used to build collages.
COLLAGE_FACES = ("Aaron_Eckhart_0001", "AJ_Cook_0001", "Edwina_Currie_0002", "Bill_Simon_0010")


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="session", autouse=True)
def _one_opencv_thread() -> Iterator[None]:
    """The test machine is shared; keep OpenCV to one core while these tests run."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    yield
    cv2.setNumThreads(before)


@pytest.fixture(scope="session", params=DETECTOR_NAMES)
def detector(request: pytest.FixtureRequest) -> Detector:
    return make_detector(request.param)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def lfw_root() -> Path:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    return root


@pytest.fixture(scope="session")
def lfw_sample(lfw_root: Path) -> list[np.ndarray]:
    """20 LFW photos spread over the alphabet (every 661st file in sorted order)."""
    files = sorted((lfw_root / "images").glob("*/*.jpg"))
    if len(files) < 20:
        pytest.skip(f"LFW at {lfw_root} has only {len(files)} images")
    step = max(1, len(files) // 20)
    return [read_rgb(p) for p in files[::step][:20]]


@pytest.fixture(scope="session")
def collage_faces(lfw_root: Path) -> list[np.ndarray]:
    """The central 150 x 150 of four LFW photos (the face, little else)."""
    faces = []
    for stem in COLLAGE_FACES:
        path = lfw_root / "images" / stem.rsplit("_", 1)[0] / f"{stem}.jpg"
        if not path.is_file():
            pytest.skip(f"{path} missing from the LFW copy")
        faces.append(read_rgb(path)[50:200, 50:200])
    return faces
