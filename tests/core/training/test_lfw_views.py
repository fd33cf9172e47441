"""Jittered views of LFW faces as cached trunk features: stacked after the plain ones, only for people who
can be trained on, the same person to the pretrained model, cached, and what the trunk gives for the crop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.paths import lfw_default
from core.pipeline import FacePipeline
from core.training.finetune import FacenetHead, head_embeddings, trunk_features
from core.training.lfw_finetune import lfw_paths
from core.training.lfw_views import stacked_features, trainable_rows, view_crop

LFW = lfw_default()
needs_lfw = pytest.mark.skipif(LFW is None, reason="LFW not found (set FACEORG_LFW or put it in ../shared/lfw)")


@needs_lfw
def test_views_stack_after_the_plain_features(facenet, lfw_crops_for) -> None:  # noqa: ANN001
    paths = lfw_paths(LFW, 40)  # AJ_Cook ... : people with one image and people with several
    plain = trunk_features(facenet, lfw_crops_for(paths))
    rows = trainable_rows(paths)
    person = [p.split("/")[0] for p in paths]
    assert rows.tolist() == [i for i, n in enumerate(person) if person.count(n) >= 2]
    assert 0 < len(rows) < len(paths)
    singles = np.setdiff1d(np.arange(len(paths)), rows)

    stacked = stacked_features(plain, LFW, paths, 1, base=facenet)
    assert stacked.shape == (len(paths), 4, 1792, 3, 3)
    assert torch.equal(stacked[:, :2], plain)                     # scoring sees the plain faces only
    assert torch.equal(stacked[singles, 2:], plain[singles])      # never trained on: nothing computed
    assert not torch.equal(stacked[rows, 2:], plain[rows])        # a real, different view
    # the view is the trunk's output for view_crop of the image (and its mirror image)
    crops = np.stack([view_crop(FacePipeline(), LFW, paths[i], 0) for i in rows[:3]])
    np.testing.assert_allclose(trunk_features(facenet, crops).numpy(), stacked[rows[:3], 2:4].numpy(), atol=1e-4)
    # and still the same person for the pretrained model: near its plain crop, within the LFW threshold
    head = FacenetHead(facenet)
    d = ((head_embeddings(head, plain[rows]) - head_embeddings(head, stacked[rows, 2:])) ** 2).sum(1)
    assert np.median(d) < 0.5 and d.max() < 1.153

    # cached on disk: a second run reads the same features back
    assert torch.equal(stacked_features(plain, LFW, paths, 1, base=None), stacked)
    assert stacked_features(plain, LFW, paths, 0) is plain


def test_views_need_the_crop_alignment(tmp_path) -> None:  # noqa: ANN001
    """Views are jittered box crops: with five-point alignment they would not be the faces scored."""
    import dataclasses

    from core.alignment import AlignSettings
    from core.pipeline import PipelineSettings
    from core.training.lfw_views import view_features

    pipeline = FacePipeline(dataclasses.replace(PipelineSettings(), align=AlignSettings(method="similarity")))
    with pytest.raises(ValueError, match="crop"):
        view_features(tmp_path, ["A/A_0001.jpg"], 0, pipeline)
