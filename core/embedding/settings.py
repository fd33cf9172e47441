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
    :func:`core.embedding.backend.resolve_backend`). ``int8`` (the default): the ONNX backend runs the int8
    copy of the model (about twice as fast a face, the same LFW accuracy; see :mod:`core.embedding.int8`);
    False runs the float export. The torch backend always runs the float model. ``flip``: average each face's
    embedding with its mirror image's; None (the default) does so for the float model only, where it gains
    0.27 LFW points, and not for the int8 copy, where it gains none (BENCHMARKS.md section 5)."""

    def flips(self, int8_model: bool) -> bool:
        """Whether flip averaging runs with this model."""
        return self.flip if self.flip is not None else not int8_model

    device: str = "auto"
    batch_size: int = 32
    flip: bool | None = None   # average the embeddings of the face and its mirror image; None: float model only
    threads: int | None = None
    standardization: Standardization = "fixed"  # what the pretrained weights were trained with
    backend: Backend = "auto"
    int8: bool = True
