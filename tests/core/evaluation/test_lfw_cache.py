"""The per-image LFW embedding cache embeds each image once, whatever subsets are asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.embedding.embedder import EmbedderSettings
from core.evaluation.lfw_run import cached_embed_lfw, embed_lfw_images
from core.paths import lfw_default
from core.pipeline import FacePipeline, PipelineSettings

IMAGES = ["AJ_Cook/AJ_Cook_0001.jpg", "Aaron_Eckhart/Aaron_Eckhart_0001.jpg", "Abdullah/Abdullah_0001.jpg"]


def test_cache_reuses_images_across_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW); CI has it")
    monkeypatch.setenv("FACEORG_CACHE", str(tmp_path))
    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=4)))
    asked: list[int] = []

    def count(p) -> None:  # noqa: ANN001
        if p.done == 0:
            asked.append(p.total)

    first = cached_embed_lfw(root, IMAGES[:2], pipeline, progress=count)
    second = cached_embed_lfw(root, IMAGES[::-1], pipeline, progress=count)  # one new image, other order
    third = cached_embed_lfw(root, IMAGES[1:], pipeline, progress=count)  # nothing new
    assert asked == [2, 1]
    assert second.paths == IMAGES[::-1] and third.paths == IMAGES[1:]
    np.testing.assert_array_equal(second.embeddings[1], first.embeddings[1])
    direct = embed_lfw_images(root, IMAGES, pipeline)
    np.testing.assert_allclose(third.embeddings, direct.embeddings[1:], atol=1e-5)
    assert not third.fallback.any()
