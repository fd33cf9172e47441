"""Embedding models the library can use: the pretrained FaceNet and models trained from it.

A saved model (``core.modelstore.saved_model``) of architecture ``facenet`` is a whole fine-tuned
Inception-ResNet-v1; one of architecture ``metric_head`` is a projection applied on top of the
pretrained FaceNet embedding. Either becomes an :class:`Embedder` with its own model id, so the
library keeps embeddings per model.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from core.embedding.embedder import Embedder, EmbedderSettings
from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.embedding.weights import MODEL_ID, pretrained_facenet
from core.modelstore.saved_model import load_model, register_arch

FACENET_ARCH = "facenet"


def _facenet(embedding_size: int = 512) -> InceptionResnetV1:
    return InceptionResnetV1(embedding_size=embedding_size)


register_arch(FACENET_ARCH, _facenet, replace=True)


class HeadOnFacenet(nn.Module):
    """Pretrained FaceNet followed by a metric head; exposes ``last_bn`` size as its dim."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.base = pretrained_facenet()
        self.head = head
        self.last_bn = self.base.last_bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.base(x))


def model_id_for(path: str | Path) -> str:
    """A saved model's id in the library: its metadata ``model_id`` or the file stem."""
    from core.modelstore.saved_model import read_metadata

    meta = read_metadata(path)
    return str(meta.get("model_id") or Path(path).stem)


def load_embedder(path: str | Path | None, settings: EmbedderSettings | None = None) -> Embedder:
    """The pretrained FaceNet embedder (``path`` None) or one built from a saved model file."""
    if path is None:
        return Embedder(model_id=MODEL_ID, settings=settings)
    loaded = load_model(path)
    if loaded.arch == FACENET_ARCH:
        model: nn.Module = loaded.model
    elif loaded.arch == "metric_head":
        model = HeadOnFacenet(loaded.model)
    else:
        raise ValueError(f"{path}: architecture {loaded.arch!r} does not take 160x160 face crops")
    return Embedder(model=model.eval(), model_id=model_id_for(path), settings=settings)
