"""Saved-model format and architecture registry.

A saved model is one ``.pt`` file holding a dict::

    {"format": 1, "arch": "<name>", "arch_kwargs": {...}, "state_dict": {...}, "metadata": {...}}

``arch`` names a constructor in the registry (:func:`register_arch`); ``arch_kwargs`` are its keyword
arguments. ``metadata`` is plain data (str/int/float/bool/None, lists, dicts) with at least the keys of
:data:`METADATA_KEYS`: ``arch``, ``base_model`` (what it was trained on top of, or None), ``training_data``
(a description), ``settings`` (e.g. the TrainConfig as a dict), ``metrics`` (e.g. accuracies) and
``created`` (ISO-8601 UTC). Files are loaded with ``torch.load(weights_only=True)``: no code is unpickled,
so a model file from elsewhere cannot run anything. Saving is atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.modelstore.networks import MetricHead, SeedCNN

FORMAT_VERSION = 1
METADATA_KEYS = ("arch", "base_model", "training_data", "settings", "metrics", "created")

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_arch(name: str, ctor: Callable[..., nn.Module], *, replace: bool = False) -> None:
    """Make ``load_model`` able to rebuild architecture ``name`` with ``ctor(**arch_kwargs)``."""
    if name in _REGISTRY and _REGISTRY[name] is not ctor and not replace:
        raise ValueError(f"architecture {name!r} is already registered")
    _REGISTRY[name] = ctor


def registered_archs() -> list[str]:
    """Names of the registered architectures."""
    return sorted(_REGISTRY)


def build_model(arch: str, **arch_kwargs: Any) -> nn.Module:
    """A fresh model of architecture ``arch``."""
    try:
        ctor = _REGISTRY[arch]
    except KeyError:
        raise KeyError(f"unknown architecture {arch!r}; registered: {registered_archs()}") from None
    return ctor(**arch_kwargs)


register_arch(SeedCNN.arch_name, SeedCNN)
register_arch(MetricHead.arch_name, MetricHead)


@dataclass(frozen=True)
class LoadedModel:
    """A model rebuilt from a file (on ``map_location``, in eval mode) with its description."""

    model: nn.Module
    arch: str
    arch_kwargs: dict[str, Any]
    metadata: dict[str, Any]


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def save_model(path: str | Path, model: nn.Module, metadata: dict[str, Any] | None = None, *,
               arch: str | None = None, arch_kwargs: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``path`` atomically; returns the path.

    ``arch``/``arch_kwargs`` default to the model's ``arch_name``/``arch_kwargs`` attributes. Missing
    metadata keys are filled (``created`` = now, ``arch``, the rest empty).
    """
    model = _unwrap(model)
    arch = arch or getattr(model, "arch_name", None)
    if arch is None:
        raise ValueError("model has no arch_name; pass arch=")
    if arch not in _REGISTRY:
        raise KeyError(f"architecture {arch!r} is not registered (register_arch) so it could not be loaded")
    kwargs = dict(arch_kwargs if arch_kwargs is not None else getattr(model, "arch_kwargs", {}))
    meta: dict[str, Any] = {"arch": arch, "base_model": None, "training_data": "", "settings": {},
                            "metrics": {}, "created": datetime.now(UTC).isoformat(timespec="seconds")}
    meta.update(metadata or {})
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT_VERSION, "arch": arch, "arch_kwargs": kwargs, "state_dict": state,
               "metadata": meta}
    path = Path(path)
    atomic_torch_save(payload, path)
    return path


def atomic_torch_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a saved model, without building it."""
    return dict(_read(path, "cpu")["metadata"])


def _read(path: str | Path, map_location: str | torch.device) -> dict[str, Any]:
    payload = torch.load(Path(path), map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or not {"arch", "state_dict", "metadata"} <= payload.keys():
        raise ValueError(f"{path} is not a saved model (needs arch, state_dict, metadata)")
    if payload.get("format", 1) > FORMAT_VERSION:
        raise ValueError(f"{path} has format {payload['format']}; this version reads up to {FORMAT_VERSION}")
    return payload


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild a model saved by :func:`save_model` (its architecture must be registered)."""
    payload = _read(path, map_location)
    kwargs = dict(payload.get("arch_kwargs", {}))
    model = build_model(payload["arch"], **kwargs)
    model.load_state_dict(payload["state_dict"])
    model.to(map_location).eval()
    return LoadedModel(model, payload["arch"], kwargs, dict(payload["metadata"]))
