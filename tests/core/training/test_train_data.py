"""Datasets and augmentation: labels, splits, shapes, and faces staying in view."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core.training.augment import eval_transforms, face_preprocess, train_transforms
from core.training.datasets import (
    FaceCrops,
    FolderOfPeople,
    ImageFiles,
    TensorFaces,
    list_people,
    person_images,
)


@pytest.fixture()
def people_root(tmp_path: Path) -> Path:
    """images/<Person>/<Person>_NNNN.jpg for 4 people with 1, 3, 5, 6 images."""
    rng = np.random.default_rng(0)
    for name, n in [("Ann_A", 1), ("Bob_B", 3), ("Cid_C", 5), ("Dee_D", 6)]:
        d = tmp_path / "images" / name
        d.mkdir(parents=True)
        for i in range(n, 0, -1):  # written out of order: the dataset must sort
            Image.fromarray(rng.integers(0, 255, (50, 40, 3), dtype=np.uint8)).save(d / f"{name}_{i:04d}.jpg")
    (tmp_path / "images" / "Dee_D" / "notes.txt").write_text("not an image")
    return tmp_path


def test_folder_of_people_selection_and_labels(people_root: Path) -> None:
    assert list_people(people_root, min_images=3) == ["Bob_B", "Cid_C", "Dee_D"]
    assert [p.name for p in person_images(people_root, "Bob_B")] == [f"Bob_B_000{i}.jpg" for i in (1, 2, 3)]
    ds = FolderOfPeople(people_root, min_images=3, max_per_person=2, start_per_person=1)
    assert ds.names == ["Bob_B", "Cid_C", "Dee_D"]
    assert ds.labels == [0, 0, 1, 1, 2, 2]
    assert [f.name for f in ds.files[:2]] == ["Bob_B_0002.jpg", "Bob_B_0003.jpg"]
    x, y = ds[3]
    assert y == 1 and x.shape == (3, 50, 40) and x.dtype == torch.float32 and 0 <= x.min() <= x.max() <= 1
    # an explicit list keeps its order; people without images in the window are dropped
    ds2 = FolderOfPeople(people_root / "images", ["Dee_D", "Ann_A", "Bob_B"], start_per_person=3)
    assert ds2.names == ["Dee_D"] and len(ds2) == 3


def test_image_files_from_a_list(people_root: Path) -> None:
    img = people_root / "images"
    items = [(img / "Dee_D" / "Dee_D_0001.jpg", "Dee_D"), (img / "Bob_B" / "Bob_B_0002.jpg", "Bob_B")]
    ds = ImageFiles(items)
    assert ds.names == ["Dee_D", "Bob_B"] and ds.labels == [0, 1]
    ds = ImageFiles(items, ["Ann_A", "Bob_B", "Dee_D"])
    assert ds.labels == [2, 1] and ds[1][0].shape == (3, 50, 40)
    with pytest.raises(ValueError):
        ImageFiles(items, ["Bob_B"])


def test_folder_of_people_preprocess_and_cache(people_root: Path) -> None:
    ds = FolderOfPeople(people_root, ["Cid_C"], image_size=20, center_crop=30, context=1.25,
                        transform=eval_transforms(20))
    x, _ = ds[0]
    assert ds.image(0).shape == (3, 25, 25) and ds.image(0).dtype == torch.uint8
    assert x.shape == (3, 20, 20) and x.dtype == torch.float32
    assert 0 in ds.cache and torch.equal(ds[0][0], x)


def test_face_crops_and_tensor_faces() -> None:
    crops = [np.full((30, 30, 3), i, dtype=np.uint8) for i in range(4)]
    ds = FaceCrops(crops, [17, 5, 17, 9], {5: "Eve", 9: "Fay", 17: "Gus"}, image_size=12)
    assert ds.labels == [2, 0, 2, 1] and ds.names == ["Eve", "Fay", "Gus"]
    x, y = ds[1]
    assert x.shape == (3, 12, 12) and y == 0 and torch.allclose(x, torch.full_like(x, 1 / 255))
    with pytest.raises(ValueError):
        FaceCrops([np.zeros((5, 5), np.uint8)], [0])
    with pytest.raises(ValueError):
        FaceCrops(crops, [0, 1, 2, 3], ["only one"])
    t = TensorFaces(torch.randn(5, 3), torch.tensor([4, 4, 2, 2, 9]))
    assert t.labels == [1, 1, 0, 0, 2] and t.names == ["2", "4", "9"] and t[4][1] == 2


def test_pipelines_keep_shape_and_dtype() -> None:
    pre = face_preprocess(60, crop=128, context=1.25)
    img = Image.fromarray(np.random.default_rng(1).integers(0, 255, (250, 250, 3), dtype=np.uint8))
    u8 = pre(img)
    assert u8.shape == (3, 75, 75) and u8.dtype == torch.uint8
    for t in (train_transforms(60), eval_transforms(60)):
        for inp in (u8, img.resize((75, 75))):
            out = t(inp)
            assert out.shape == (3, 60, 60) and out.dtype == torch.float32
            assert -1.0 <= out.min() and out.max() <= 1.0
    assert torch.equal(eval_transforms(60)(u8), eval_transforms(60)(u8))


def test_no_vertical_flip_or_large_rotation() -> None:
    names = [type(t).__name__ for t in train_transforms(60).transforms]
    assert "RandomVerticalFlip" not in names and "RandomHorizontalFlip" in names
    with pytest.raises(ValueError):
        train_transforms(60, rotation=30)
    with pytest.raises(ValueError):
        train_transforms(60, crop_scale=(0.2, 1.0))


def test_face_stays_in_view_and_upright() -> None:
    """A bright blob at the face centre and a bar above it (the 'forehead') survive every augmentation."""
    img = torch.zeros(3, 75, 75, dtype=torch.uint8)
    img[:, 33:42, 33:42] = 255  # centre
    img[0, 18:22, 30:45] = 255  # red bar above the centre
    t = train_transforms(60, jitter=0.0)
    torch.manual_seed(0)
    for _ in range(50):
        out = t(img)
        white = (out.min(dim=0).values > 0.5).nonzero().float()
        cy, cx = white.mean(0).tolist()
        assert abs(cy - 29.5) < 7 and abs(cx - 29.5) < 7  # centre stays near the centre
        red = ((out[0] > 0.5) & (out[1] < 0)).nonzero().float()
        assert len(red) and red[:, 0].mean() < cy - 5  # the bar stays above: no vertical flip
