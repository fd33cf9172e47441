"""The saved embedding models the user trained: one ``.pt`` file each in ``<data dir>/models``.

A model's *name* is its file stem (what ``faceorg models use NAME`` takes); its *model id* (the key of
its embeddings in the library) is ``metadata["model_id"]``, ``<name>-<8 hex digits>`` chosen when it is
saved, so a model trained again under the same name never reuses the old one's stored embeddings. The
pretrained FaceNet is always listed first, as :data:`PRETRAINED_NAME` with id
:data:`core.embedding.weights.MODEL_ID`. Files that cannot be read are left out of the listing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from torch import nn

from core.embedding.pretrained import MODEL_ID
from core.modelstore.saved_model import read_metadata, save_model
from core.paths import data_dir

PRETRAINED_NAME = "pretrained"
PRETRAINED_ID = MODEL_ID
LIBRARY_ARCHS = ("facenet", "metric_head")  # architectures that embed 160x160 face crops in the library
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,45}$")


class ModelNotFoundError(LookupError):
    """No saved model has that name, id or path."""


@dataclass(frozen=True)
class ModelInfo:
    """One model as listed by ``faceorg models``. ``path`` is None for the pretrained FaceNet."""

    name: str
    model_id: str
    path: Path | None
    arch: str
    base_model: str | None = None
    training_data: str = ""
    created: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    active: bool = False

    @property
    def usable(self) -> bool:
        """Whether the library can embed its faces with this model."""
        return self.arch in LIBRARY_ARCHS

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (stable keys)."""
        return {**asdict(self), "path": None if self.path is None else str(self.path), "usable": self.usable}


def models_dir() -> Path:
    """``<data dir>/models`` (created if missing)."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pretrained_info(active: bool = False) -> ModelInfo:
    """The pretrained FaceNet (CASIA-WebFace, 512-d)."""
    return ModelInfo(PRETRAINED_NAME, PRETRAINED_ID, None, "facenet", None, "CASIA-WebFace (pretrained)",
                     "2018-04-08", {"lfw_10fold_accuracy": 0.9683}, {}, active)


def info_from_file(path: str | Path, active_id: str | None = None) -> ModelInfo:
    """The :class:`ModelInfo` of a saved model file (raises ``ValueError``/``OSError`` if unreadable)."""
    path = Path(path)
    meta = read_metadata(path)
    model_id = str(meta.get("model_id") or path.stem)
    return ModelInfo(path.stem, model_id, path, str(meta.get("arch", "")), meta.get("base_model"),
                     str(meta.get("training_data", "")), str(meta.get("created", "")),
                     dict(meta.get("metrics") or {}), dict(meta.get("settings") or {}), model_id == active_id)


def list_models(active_id: str | None = None, directory: str | Path | None = None) -> list[ModelInfo]:
    """The pretrained model, then the saved ones newest first; ``active`` marks ``active_id``."""
    folder = Path(directory) if directory is not None else models_dir()
    found = []
    for path in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
        try:
            found.append(info_from_file(path, active_id))
        except (OSError, ValueError, RuntimeError, KeyError):
            continue  # not a saved model (or damaged): not listed
    found.sort(key=lambda m: m.created, reverse=True)
    return [pretrained_info(active_id in (None, PRETRAINED_ID)), *found]


def find_model(ref: str | Path, directory: str | Path | None = None) -> ModelInfo:
    """The model called ``ref``: a name, a model id, ``"pretrained"`` or a path to a ``.pt`` file."""
    text = str(ref)
    if text in (PRETRAINED_NAME, PRETRAINED_ID):
        return pretrained_info()
    path = Path(text).expanduser()
    if path.suffix == ".pt" and path.is_file():
        return info_from_file(path)
    for info in list_models(directory=directory)[1:]:
        if text in (info.name, info.model_id):
            return info
    raise ModelNotFoundError(f"no saved model called {text!r} (see `faceorg models`)")


def new_model_name(prefix: str) -> str:
    """A fresh name like ``personal-20261128-064512``."""
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def check_name(name: str) -> str:
    """``name`` if it can be a model name (letters, digits, ``._-``; at most 46 characters)."""
    if not _NAME.match(name):
        raise ValueError(f"model name {name!r}: use letters, digits, '.', '_' or '-' (at most 46 characters)")
    return name


def save_trained(model: nn.Module, name: str, metadata: dict[str, Any], *, arch: str | None = None,
                 arch_kwargs: dict[str, Any] | None = None, directory: str | Path | None = None,
                 overwrite: bool = False) -> ModelInfo:
    """Save ``model`` as ``<models dir>/<name>.pt`` with a fresh model id; returns its listing."""
    folder = Path(directory) if directory is not None else models_dir()
    path = folder / f"{check_name(name)}.pt"
    if path.exists() and not overwrite:
        raise FileExistsError(f"a model called {name!r} exists already ({path})")
    meta = {**metadata, "model_id": f"{name}-{uuid.uuid4().hex[:8]}"}
    save_model(path, model, meta, arch=arch, arch_kwargs=arch_kwargs)
    return info_from_file(path)
