"""How faces are embedded: settings shared by the torch and ONNX Runtime embedders (no torch import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from core.alignment import Standardization
from core.embedding.pretrained import MODEL_ID

Backend = Literal["auto", "torch", "onnx"]

#: The pretrained FaceNet's id in the library (``core.embedding.pretrained.MODEL_ID``).
PRETRAINED_MODEL_ID = MODEL_ID


def default_threads() -> int:
    """Intra-op threads for inference: half the cores (the other half decode and detect photos in
    parallel; oversubscribed oneDNN threads wait on each other and lose several times their speed),
    unless FACEORG_THREADS says otherwise."""
    env = os.environ.get("FACEORG_THREADS")
    return max(1, int(env)) if env else max(1, (os.cpu_count() or 1) // 2)


@dataclass(frozen=True)
class EmbedderSettings:
    """``backend``: "torch" (the source of truth: the converted model in PyTorch), "onnx" (the same
    model exported to ONNX and run by ONNX Runtime, for inference only: no torch import, which starts
    an import ~2-3 s sooner) or "auto" (ONNX Runtime on a CPU when it is installed, else torch; see
    :func:`core.embedding.backend.resolve_backend`). ``int8``: the ONNX backend runs the int8 copy of
    the model (about twice as fast a face; see :mod:`core.embedding.int8`)."""

    device: str = "auto"
    batch_size: int = 32
    flip: bool = True          # average the embeddings of the face and its mirror image
    threads: int | None = None
    standardization: Standardization = "fixed"  # what the pretrained weights were trained with
    backend: Backend = "auto"
    int8: bool = False
