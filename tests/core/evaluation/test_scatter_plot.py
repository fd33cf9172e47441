"""2-D scatter PNG of embeddings before/after: PCA projection, silhouette per panel, a real PNG."""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.evaluation.scatter import ScatterPanel, project_2d, scatter_png, silhouette


def test_scatter_png_before_after(tmp_path):
    rng = np.random.default_rng(0)
    labels = [f"P{i}" for i in range(4) for _ in range(10)]
    centres = rng.normal(size=(4, 16))
    tight = np.repeat(centres, 10, axis=0) + 0.1 * rng.normal(size=(40, 16))
    loose = np.repeat(centres, 10, axis=0) + 2.0 * rng.normal(size=(40, 16))
    xy, ev = project_2d(tight)
    assert xy.shape == (40, 2) and 0.5 < ev <= 1.0
    assert silhouette(tight, labels) > silhouette(loose, labels)
    res = scatter_png([ScatterPanel("before", loose, labels), ScatterPanel("after", tight, labels)],
                      tmp_path / "scatter.png", title="test")
    assert res.silhouette[1] > res.silhouette[0] and len(res.explained_variance) == 2
    with Image.open(res.path) as img:
        assert img.size[0] > img.size[1] > 100
