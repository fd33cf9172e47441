"""Jittered face views for training on cached features: seeded, face kept in view and upright, and on a
real LFW face the view stays the same person for the pretrained FaceNet."""

import numpy as np
import pytest
import torch

from core.alignment import AlignSettings, crop_face
from core.paths import lfw_default
from core.training.face_jitter import Jitter, jittered_crop
from core.training.finetune import RandomView

LFW = lfw_default()
needs_lfw = pytest.mark.skipif(LFW is None, reason="LFW not found (set FACEORG_LFW or put it in ../shared/lfw)")


def _scene() -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A 200x200 image with a white square at the face centre and a red bar above it (the 'forehead')."""
    img = np.full((200, 200, 3), 40, np.uint8)
    img[95:106, 95:106] = 255
    img[70:75, 85:116] = (255, 0, 0)
    return img, (60.0, 60.0, 80.0, 80.0)


def test_seeded_and_varied() -> None:
    img, box = _scene()
    a = jittered_crop(img, box, np.random.default_rng(7))
    b = jittered_crop(img, box, np.random.default_rng(7))
    c = jittered_crop(img, box, np.random.default_rng(8))
    assert a.shape == (160, 160, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_no_jitter_is_the_pipeline_crop() -> None:
    img, box = _scene()
    still = Jitter(rotation=0.0, scale=(1.0, 1.0), shift=0.0, colour=0.0)
    out = jittered_crop(img, box, np.random.default_rng(0), jitter=still)
    assert np.abs(out.astype(int) - crop_face(img, box, AlignSettings()).astype(int)).max() <= 1


def test_face_stays_in_view_and_upright() -> None:
    img, box = _scene()
    rng = np.random.default_rng(0)
    for _ in range(40):
        out = jittered_crop(img, box, rng, jitter=Jitter(colour=0.0)).astype(int)
        white = np.argwhere(out.min(axis=2) > 200).astype(float)
        cy, cx = white.mean(0)
        assert abs(cy - 79.5) < 16 and abs(cx - 79.5) < 16  # shift <= 5 % of the box, scale 0.9-1.1
        red = np.argwhere((out[..., 0] > 200) & (out[..., 1] < 60)).astype(float)
        assert len(red) and red[:, 0].mean() < cy - 15  # still above the centre: small rotations only


def test_random_view_draws_every_view() -> None:
    x = torch.arange(6.0).reshape(6, 1)
    torch.manual_seed(0)
    seen = {int(RandomView()(x).item()) for _ in range(200)}
    assert seen == set(range(6))


@needs_lfw
def test_real_face_stays_the_same_person(facenet, lfw_crops_for) -> None:  # noqa: ANN001
    """Every jittered view of an LFW face is nearer its own plain crop than the other person's crop is."""
    from core.alignment import standardize
    from core.evaluation.lfw_run import central_detection
    from core.imaging.loader import load_image
    from core.pipeline import FacePipeline

    root = LFW
    rel, other = "Bob_Hope/Bob_Hope_0004.jpg", "Colin_Powell/Colin_Powell_0001.jpg"
    image = load_image(root / "images" / rel).rgb
    det = central_detection(FacePipeline().detector().detect(image), image.shape[1], image.shape[0])
    assert det is not None
    rng = np.random.default_rng(1)
    views = np.stack([jittered_crop(image, det.box, rng) for _ in range(4)])
    crops = np.concatenate([lfw_crops_for([rel, other]), views])
    with torch.inference_mode():
        e = torch.nn.functional.normalize(facenet(torch.from_numpy(standardize(crops, "fixed"))), dim=1).numpy()
    d_views = ((e[2:] - e[0]) ** 2).sum(1)
    d_other = ((e[1] - e[0]) ** 2).sum()
    assert d_views.max() < d_other
    assert d_views.max() < 1.153  # and within the pretrained model's LFW threshold
