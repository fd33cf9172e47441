"""Synthetic embeddings for the personal-training tests (imported as ``personal_support``)."""

from __future__ import annotations

import numpy as np


def synthetic(n_people: int = 12, per: int = 12, dim: int = 64, nuisance: float = 3.0,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors: identity signal in one subspace plus strong noise in a 16-d "nuisance" subspace
    (lighting, pose...) that a linear head can learn to shrink."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    signal, nuis = q[:, :dim - 16], q[:, dim - 16:]
    centres = rng.normal(size=(n_people, dim - 16))
    labels = np.repeat(np.arange(n_people), per)
    x = (centres[labels] + 0.3 * rng.normal(size=(len(labels), dim - 16))) @ signal.T
    x += nuisance * rng.normal(size=(len(labels), 16)) @ nuis.T
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels
