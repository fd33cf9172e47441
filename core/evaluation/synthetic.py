"""Synthetic face-embedding-like data for clustering tests and benchmarks (no images needed).

People have a centre on the unit sphere (pairwise centre cosine ~ ``centre_cos``); each image
is centre + isotropic noise (per-person scale, log-normal spread) + a "nuisance" component in a
low-rank subspace shared by everyone (pose / light: it pulls different people's images taken in
similar conditions together), then L2-normalised. Class sizes follow a truncated Zipf law,
P(s) ~ s^-exponent for 1 <= s <= max_size; exponent 2.3 gives LFW-like shape (~70% of people
with one image, mean ~2.3 images per person).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SyntheticFaces:
    embeddings: np.ndarray  # (n, dim) float32, unit rows
    labels: np.ndarray      # (n,) int64 person ids, 0..n_people-1, grouped (sorted)

    @property
    def n_people(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


def zipf_sizes(n: int, rng: np.random.Generator, *, exponent: float = 2.3,
               max_size: int = 530) -> np.ndarray:
    """Class sizes summing to exactly ``n`` (the last class is truncated), in drawing order."""
    support = np.arange(1, max_size + 1)
    p = support.astype(np.float64) ** -exponent
    p /= p.sum()
    sizes: list[int] = []
    total = 0
    while total < n:
        draw = rng.choice(support, size=max(16, (n - total) // 2), p=p)
        for s in draw:
            s = int(min(s, n - total))
            sizes.append(s)
            total += s
            if total >= n:
                break
    return np.asarray(sizes, dtype=np.int64)


def synthetic_faces(n: int, *, dim: int = 512, exponent: float = 2.3, max_size: int = 530,
                    centre_cos: float = 0.2, noise: float = 0.7, noise_spread: float = 0.3,
                    nuisance: float = 0.55, nuisance_rank: int = 12, seed: int = 0) -> SyntheticFaces:
    """``n`` unit vectors in ``dim`` dimensions, grouped into people as described above."""
    rng = np.random.default_rng(seed)
    sizes = zipf_sizes(n, rng, exponent=exponent, max_size=max_size)
    n_people = len(sizes)
    shared = rng.normal(size=dim)
    shared /= np.linalg.norm(shared)
    own = rng.normal(size=(n_people, dim)) / np.sqrt(dim)
    centres = np.sqrt(centre_cos) * shared + np.sqrt(1 - centre_cos) * own
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    basis, _ = np.linalg.qr(rng.normal(size=(dim, nuisance_rank)))
    labels = np.repeat(np.arange(n_people), sizes)
    scale = noise * np.exp(noise_spread * rng.normal(size=n_people))
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, 8192):  # in chunks: keeps peak memory near the float32 output
        lab = labels[i:i + 8192]
        x = centres[lab]
        x += rng.normal(size=(len(lab), dim)) * (scale[lab, None] / np.sqrt(dim))
        x += (rng.normal(size=(len(lab), nuisance_rank)) * (nuisance / np.sqrt(nuisance_rank))) @ basis.T
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[i:i + 8192] = x
    return SyntheticFaces(embeddings=out, labels=labels.astype(np.int64))
