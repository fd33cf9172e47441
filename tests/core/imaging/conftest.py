"""Real photos for the imaging tests: scikit-image's astronaut, LFW when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from core.paths import lfw_default


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture()
def astronaut_jpeg(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(path, quality=92)
    return path


@pytest.fixture(scope="session")
def lfw_image() -> Path:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    path = root / "images" / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg"
    if not path.is_file():
        pytest.skip(f"{path} missing from the LFW copy")
    return path
