"""Which embedder a pipeline gets: torch or ONNX Runtime (see :class:`EmbedderSettings.backend`)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from typing import TYPE_CHECKING, Protocol

import numpy as np

from core.embedding.settings import EmbedderSettings

if TYPE_CHECKING:
    from core.embedding.embedder import Embedder
    from core.embedding.onnx_embedder import OnnxEmbedder


class FaceEmbedder(Protocol):
    """What the pipeline and the importer need of an embedder."""

    settings: EmbedderSettings
    model_id: str

    @property
    def dim(self) -> int: ...

    def embed(self, faces: np.ndarray) -> np.ndarray: ...


def _has_gpu() -> bool:
    """A CUDA GPU or Apple's GPU, where torch is the faster choice, without importing torch."""
    if sys.platform == "darwin":
        import platform

        return platform.machine() == "arm64"
    return os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi") is not None


def resolve_backend(settings: EmbedderSettings) -> str:
    """"torch" or "onnx": "auto" takes ONNX Runtime when it is installed and the model runs on the CPU
    (device "cpu", or "auto" on a machine without a GPU)."""
    if settings.backend != "auto":
        return settings.backend
    from core.embedding.onnx_embedder import onnx_available

    on_cpu = settings.device == "cpu" or (settings.device == "auto" and not _has_gpu())
    return "onnx" if on_cpu and onnx_available() else "torch"


def make_embedder(settings: EmbedderSettings | None = None) -> Embedder | OnnxEmbedder:
    """The pretrained FaceNet embedder for ``settings``."""
    settings = settings or EmbedderSettings()
    if resolve_backend(settings) == "onnx":
        from core.embedding.onnx_embedder import OnnxEmbedder

        try:
            return OnnxEmbedder(settings)
        except Exception as exc:  # an export or runtime failure must not stop an import: torch is the truth
            if settings.backend == "onnx":
                raise
            logging.getLogger(__name__).warning("ONNX Runtime embedder unavailable (%s); using torch", exc)
    from core.embedding.embedder import Embedder

    return Embedder(settings=settings)
