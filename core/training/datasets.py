"""Labelled face datasets for metric learning.

Every dataset here returns ``(tensor, label)`` items and has ``labels`` (one contiguous int per item,
``0 .. len(names) - 1``) and ``names`` (the person name of each label), which the P x K sampler and the
trainer use.

* :class:`FolderOfPeople`: an LFW-style folder, ``<root>/<Person>/*.jpg`` (or ``<root>/images/<Person>/``);
  :class:`ImageFiles`: any list of ``(image path, person name)`` (e.g. an evaluation split).
* :class:`FaceCrops`: in-memory ``(crop array, label)`` pairs -- the hook for training on the library's
  named faces: hand it the crops (H x W x 3 uint8 arrays or uint8 tensors) and their labels/names.
* :class:`TensorFaces`: in-memory feature tensors (e.g. cached embeddings of a frozen trunk).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from core.imaging.formats import TRAINING_EXTENSIONS

Transform = Callable[[Any], Tensor]
Names = Sequence[str] | Mapping[int, str]


class LabelledDataset(Protocol):
    """What the trainer needs: indexable ``(x, label)`` items plus ``labels`` and ``names``."""

    labels: list[int]
    names: list[str]

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[Tensor, int]: ...


def _to_float(image: Tensor) -> Tensor:
    return image.float().div_(255.0)


def people_folder(root: str | Path) -> Path:
    """``root/images`` if it exists (the LFW layout), else ``root``."""
    root = Path(root)
    return root / "images" if (root / "images").is_dir() else root


def person_images(root: str | Path, person: str) -> list[Path]:
    """A person's image files, sorted by file name."""
    folder = people_folder(root) / person
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in TRAINING_EXTENSIONS)


def list_people(root: str | Path, min_images: int = 1) -> list[str]:
    """Sorted names of the per-person folders holding at least ``min_images`` images."""
    base = people_folder(root)
    return sorted(d.name for d in base.iterdir()
                  if d.is_dir() and len(person_images(base, d.name)) >= min_images)


def _contiguous(labels: Sequence[int], names: Names | None) -> tuple[list[int], list[str]]:
    """Remap labels to ``0..C-1`` in sorted order of the original values; ``names[original]`` names each
    (default: ``str(original)``)."""
    values = sorted(set(int(y) for y in labels))
    new_names = []
    for v in values:
        if names is None:
            new_names.append(str(v))
        elif v in names if isinstance(names, Mapping) else 0 <= v < len(names):
            new_names.append(str(names[v]))
        else:
            raise ValueError(f"no name for label {v}")
    remap = {v: i for i, v in enumerate(values)}
    return [remap[int(y)] for y in labels], new_names


class ImageFiles(Dataset):
    """``(path, person name)`` items as ``(transform(image), label)``; labels follow ``names`` (default:
    the order in which names first appear).

    Each image is read as RGB, passed through :func:`~core.training.augment.face_preprocess` when
    ``image_size`` is given (``center_crop`` source pixels, ``context`` margin), kept as uint8 in memory
    when ``cache`` (the deterministic part), then ``transform`` (default: float in [0, 1]).
    """

    def __init__(self, items: Sequence[tuple[str | Path, str]], names: Sequence[str] | None = None, *,
                 transform: Transform | None = None, image_size: int | None = None,
                 center_crop: int | None = None, context: float = 1.0, cache: bool = True) -> None:
        self.names: list[str] = list(names) if names is not None else list(dict.fromkeys(n for _, n in items))
        index = {n: i for i, n in enumerate(self.names)}
        missing = {n for _, n in items} - index.keys()
        if missing:
            raise ValueError(f"items name people missing from names: {sorted(missing)[:5]}")
        self.files: list[Path] = [Path(p) for p, _ in items]
        self.labels: list[int] = [index[n] for _, n in items]
        self.transform = transform
        self.prepare: Transform = face_preprocess_identity
        if image_size:
            from core.training.augment import face_preprocess  # torchvision: imported only when needed

            self.prepare = face_preprocess(image_size, center_crop, context)
        self.cache: dict[int, Tensor] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.files)

    def image(self, index: int) -> Tensor:
        """The prepared uint8 ``(3, H, W)`` image, before ``transform``."""
        if self.cache is not None and index in self.cache:
            return self.cache[index]
        with Image.open(self.files[index]) as im:
            image = self.prepare(im.convert("RGB")).as_subclass(Tensor)
        if self.cache is not None:
            self.cache[index] = image
        return image

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        image = self.image(index)
        x = self.transform(image) if self.transform is not None else _to_float(image)
        return x, self.labels[index]


class FolderOfPeople(ImageFiles):
    """Images of ``<root>/<Person>/*`` (an LFW-style folder) as ``(transform(image), label)``.

    ``people``: which folders (default: all with ``>= min_images`` images, sorted); people listed explicitly
    must also have ``min_images``. Per person the files are sorted by name and images
    ``[start_per_person, start_per_person + max_per_person)`` are used (people left with none are dropped).
    Loading options as in :class:`ImageFiles`.
    """

    def __init__(self, root: str | Path, people: list[str] | None = None, *, min_images: int = 1,
                 max_per_person: int | None = None, start_per_person: int = 0,
                 transform: Transform | None = None, image_size: int | None = None,
                 center_crop: int | None = None, context: float = 1.0, cache: bool = True) -> None:
        self.root = people_folder(root)
        candidates = list_people(self.root, min_images) if people is None else list(people)
        items: list[tuple[Path, str]] = []
        for person in candidates:
            files = person_images(self.root, person)
            if len(files) < min_images:
                continue
            stop = None if max_per_person is None else start_per_person + max_per_person
            items += [(f, person) for f in files[start_per_person:stop]]
        super().__init__(items, transform=transform, image_size=image_size, center_crop=center_crop,
                         context=context, cache=cache)


def face_preprocess_identity(image: Image.Image) -> Tensor:
    """PIL image -> uint8 ``(3, H, W)`` tensor, unchanged in size."""
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.uint8).copy()).permute(2, 0, 1)


class FaceCrops(Dataset):
    """In-memory face crops with labels: ``crops`` are H x W x 3 uint8 arrays or ``(3, H, W)`` uint8 tensors.

    ``labels`` may be any ints, e.g. database person ids (remapped to ``0..C-1`` in sorted order);
    ``names[original_label]`` (a sequence or a mapping) names each. With ``image_size`` the crops are
    resized (``context`` margin kept) once, up front.
    """

    def __init__(self, crops: Sequence[np.ndarray | Tensor], labels: Sequence[int],
                 names: Names | None = None, *, transform: Transform | None = None,
                 image_size: int | None = None, context: float = 1.0) -> None:
        if len(crops) != len(labels):
            raise ValueError(f"{len(crops)} crops but {len(labels)} labels")
        prep = None
        if image_size:
            from core.training.augment import face_preprocess

            prep = face_preprocess(image_size, None, context)
        self.images: list[Tensor] = []
        for c in crops:
            if isinstance(c, Tensor):
                t = c
            else:
                a = np.asarray(c)
                if a.ndim != 3 or a.shape[2] != 3:
                    raise ValueError(f"crop arrays must be H x W x 3, got {a.shape}")
                t = torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)
            if t.dtype != torch.uint8 or t.ndim != 3 or t.shape[0] != 3:
                raise ValueError("crops must be uint8 RGB, H x W x 3 arrays or 3 x H x W tensors")
            self.images.append(prep(t).as_subclass(Tensor) if prep is not None else t)
        self.labels, self.names = _contiguous(labels, names)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        image = self.images[index]
        x = self.transform(image) if self.transform is not None else _to_float(image)
        return x, self.labels[index]


class TensorFaces(Dataset):
    """Rows of ``features`` (``(N, ...)`` tensor) with labels, e.g. cached trunk embeddings."""

    def __init__(self, features: Tensor, labels: Sequence[int] | Tensor, names: Names | None = None,
                 transform: Transform | None = None) -> None:
        labels_list = labels.tolist() if isinstance(labels, Tensor) else list(labels)
        if len(features) != len(labels_list):
            raise ValueError(f"{len(features)} rows but {len(labels_list)} labels")
        self.features = features
        self.labels, self.names = _contiguous(labels_list, names)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        x = self.features[index]
        return (self.transform(x) if self.transform is not None else x), self.labels[index]
