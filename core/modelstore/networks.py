"""Small trainable embedding networks.

* :class:`SeedCNN`: the FaceNet seed notebook's kind of network -- conv-bn-relu-pool blocks and a linear
  layer, 60 x 60 RGB in, a 128-d L2-normalised embedding out (~0.4 M parameters by default).
* :class:`MetricHead`: a linear projection trained on top of frozen embeddings (e.g. the pretrained
  FaceNet's 512-d), initialised as the identity so that before training it reproduces its input
  (re-normalised); :func:`project` passes stored embeddings through one.

Each model records the keyword arguments it was built with in ``arch_kwargs`` so that
:func:`core.modelstore.saved_model.save_model` can rebuild it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SeedCNN(nn.Module):
    """``(B, 3, S, S)`` images (S = ``input_size``, default 60) -> ``(B, embedding_dim)`` unit vectors.

    ``widths``: output channels of the conv blocks, each halving the resolution (60 -> 30 -> 15 -> 7 -> 3).
    The last feature map is flattened (aligned faces: position matters) and projected to the embedding.
    """

    arch_name = "seed_cnn"

    def __init__(self, embedding_dim: int = 128, input_size: int = 60,
                 widths: Sequence[int] = (32, 64, 128, 128), dropout: float = 0.0) -> None:
        super().__init__()
        self.arch_kwargs: dict[str, Any] = {"embedding_dim": embedding_dim, "input_size": input_size,
                                            "widths": list(widths), "dropout": dropout}
        chans = [3, *widths]
        self.features = nn.Sequential(*[_block(a, b) for a, b in zip(chans[:-1], chans[1:], strict=True)])
        side = input_size
        for _ in widths:
            side //= 2
        if side < 1:
            raise ValueError(f"input_size {input_size} too small for {len(widths)} blocks")
        self.dropout = nn.Dropout(dropout)
        self.embed = nn.Linear(chans[-1] * side * side, embedding_dim)
        self.input_size = input_size
        self.embedding_dim = embedding_dim

    def forward(self, x: Tensor) -> Tensor:
        h = self.features(x).flatten(1)
        return F.normalize(self.embed(self.dropout(h)), dim=1)


class MetricHead(nn.Module):
    """``(B, in_dim)`` embeddings -> ``(B, out_dim)`` unit vectors through one linear layer.

    Initialised to the identity (``nn.init.eye_``, zero bias), so an untrained head returns its input
    L2-normalised: "before training" is exactly the frozen model it sits on.
    """

    arch_name = "metric_head"

    def __init__(self, in_dim: int = 512, out_dim: int = 512) -> None:
        super().__init__()
        self.arch_kwargs: dict[str, Any] = {"in_dim": in_dim, "out_dim": out_dim}
        self.linear = nn.Linear(in_dim, out_dim)
        nn.init.eye_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.linear(x), dim=1)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def project(head: nn.Module, embeddings: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Embeddings through ``head`` (eval mode, no gradients), float32."""
    head.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(embeddings), batch_size):
            out.append(head(torch.from_numpy(np.ascontiguousarray(embeddings[s:s + batch_size]))).float().numpy())
    return np.concatenate(out) if out else np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 0),
                                                   np.float32)
