"""Face clustering as peer photo managers run it, for benchmarks against :mod:`agglomerative`.

Both run on L2-normalised embeddings with Euclidean (not squared) distances, like PhotoPrism
(DBSCAN, ``eps`` = ClusterDist 0.64, ``min_samples`` = ClusterCore 4 in its FaceNet-era defaults)
and Immich (density clustering with ``maxDistance`` 0.5 in cosine distance, ``minFaces`` 3;
cosine distance c on unit vectors is Euclidean sqrt(2 c), so eps = 1.0). Noise points
(label -1) become singleton clusters by default, so every face is scored.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import DBSCAN, HDBSCAN

PHOTOPRISM_DBSCAN = {"eps": 0.64, "min_samples": 4}
IMMICH_DBSCAN = {"eps": float(np.sqrt(2 * 0.5)), "min_samples": 3}


def _unit(emb: np.ndarray) -> np.ndarray:
    x = np.asarray(emb, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def noise_to_singletons(labels: np.ndarray) -> np.ndarray:
    """Give every -1 its own new label (after the largest existing one), in index order."""
    out = np.asarray(labels, dtype=np.int64).copy()
    noise = out < 0
    start = int(out.max()) + 1 if (~noise).any() else 0
    out[noise] = start + np.arange(int(noise.sum()))
    return out


def dbscan_labels(emb: np.ndarray, eps: float, min_samples: int, *,
                  keep_noise: bool = False) -> np.ndarray:
    """sklearn DBSCAN on unit vectors, Euclidean ``eps``; noise -> singletons unless ``keep_noise``."""
    x = _unit(emb)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    labels = DBSCAN(eps=eps, min_samples=min_samples, metric="euclidean").fit_predict(x)
    return np.asarray(labels, dtype=np.int64) if keep_noise else noise_to_singletons(labels)


def hdbscan_labels(emb: np.ndarray, min_cluster_size: int = 5, min_samples: int | None = None, *,
                   keep_noise: bool = False) -> np.ndarray:
    """sklearn HDBSCAN on unit vectors (Euclidean); noise -> singletons unless ``keep_noise``."""
    x = _unit(emb)
    if len(x) < 2:
        return np.zeros(len(x), dtype=np.int64)
    labels = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples,
                     metric="euclidean", copy=True).fit_predict(x)
    return np.asarray(labels, dtype=np.int64) if keep_noise else noise_to_singletons(labels)
