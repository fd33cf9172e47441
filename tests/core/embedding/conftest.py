"""Real face crops and the converted model for the embedding tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage import data

from core.alignment import AlignSettings, face_input
from core.detection import make_detector
from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.embedding.weights import pretrained_facenet
from core.imaging.loader import load_image
from core.paths import lfw_default

LFW_SAMPLE = ["Aaron_Eckhart/Aaron_Eckhart_0001.jpg", "AJ_Cook/AJ_Cook_0001.jpg",
              "George_W_Bush/George_W_Bush_0001.jpg", "George_W_Bush/George_W_Bush_0002.jpg"]


@pytest.fixture(scope="session", autouse=True)
def _two_torch_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def facenet() -> InceptionResnetV1:
    return pretrained_facenet()


@pytest.fixture(scope="session")
def astronaut_crop() -> np.ndarray:
    """The face of scikit-image's astronaut photo (ships with the package), as a 160x160 crop."""
    image = data.astronaut()
    det = make_detector("yunet").detect(image)[0]
    return face_input(image, det, AlignSettings())


@pytest.fixture(scope="session")
def lfw_root() -> Path:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW); CI has it")
    return root


@pytest.fixture(scope="session")
def lfw_crops(lfw_root: Path, lfw_crops_or_none: np.ndarray | None) -> np.ndarray:
    """Real 160x160 face crops of four LFW images (two of the same person)."""
    assert lfw_crops_or_none is not None
    return lfw_crops_or_none


@pytest.fixture(scope="session")
def lfw_crops_or_none() -> np.ndarray | None:
    """LFW crops when LFW is present, else None (tests still run on the astronaut)."""
    root = lfw_default()
    if root is None:
        return None
    detector = make_detector("yunet")
    crops = []
    for rel in LFW_SAMPLE:
        image = load_image(root / "images" / rel).rgb
        crops.append(face_input(image, detector.detect(image)[0], AlignSettings()))
    return np.stack(crops)
