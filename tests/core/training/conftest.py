"""Shared set-up for the training tests: one CPU thread (others share the machine)."""

import torch

torch.set_num_threads(1)


import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="module")
def facenet():  # noqa: ANN201
    """The converted pretrained FaceNet (cached under FACEORG_CACHE)."""
    from core.embedding.weights import pretrained_facenet

    return pretrained_facenet()


@pytest.fixture(scope="module")
def lfw_crops_for():  # noqa: ANN201
    """LFW face crops cut as the pipeline does (``faceorg evaluate lfw``): relative paths -> (N, 160, 160, 3)."""
    from core.evaluation.lfw_run import lfw_crop
    from core.paths import lfw_default
    from core.pipeline import FacePipeline

    root = lfw_default()
    pipeline = FacePipeline()

    def crops(paths: list[str]) -> np.ndarray:
        return np.stack([lfw_crop(pipeline, root, p)[0] for p in paths])

    return crops
