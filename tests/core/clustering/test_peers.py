"""DBSCAN / HDBSCAN as peers run them."""

from __future__ import annotations

import numpy as np

from core.clustering.peers import IMMICH_DBSCAN, PHOTOPRISM_DBSCAN, dbscan_labels, hdbscan_labels, noise_to_singletons
from core.evaluation.clustering import bcubed
from core.evaluation.synthetic import synthetic_faces


def test_noise_to_singletons():
    assert noise_to_singletons(np.array([-1, 0, -1, 1, 0])).tolist() == [2, 0, 3, 1, 0]
    assert noise_to_singletons(np.array([-1, -1])).tolist() == [0, 1]


def test_peers_cluster_synthetic_faces():
    data = synthetic_faces(800, seed=2)
    for params in (PHOTOPRISM_DBSCAN, IMMICH_DBSCAN):
        raw = dbscan_labels(data.embeddings * 3.0, keep_noise=True, **params)  # scale is ignored
        labels = dbscan_labels(data.embeddings, **params)
        assert (labels >= 0).all() and len(labels) == 800
        np.testing.assert_array_equal(labels, noise_to_singletons(raw))
    h = hdbscan_labels(data.embeddings, min_cluster_size=3)
    assert (h >= 0).all()
    assert bcubed(data.labels, h)[2] > 0.3
    assert dbscan_labels(np.zeros((0, 8)), 0.5, 3).shape == (0,)
