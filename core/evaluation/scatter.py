"""2-D scatter plots of embeddings, one panel per model (e.g. before / after training), as the FaceNet
seed notebook showed them: each person one colour, PCA (or t-SNE) of each panel's own embeddings.

Uses matplotlib's Figure API (no pyplot, no display). Each panel also gets the silhouette score of its
labels in the full embedding space (Euclidean; higher = people better separated), which does not
depend on the 2-D projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

Method = Literal["pca", "tsne"]


@dataclass(frozen=True)
class ScatterPanel:
    """One panel: a title, ``(N, D)`` embeddings and the N labels (person names)."""

    title: str
    embeddings: np.ndarray
    labels: Sequence[str]


@dataclass(frozen=True)
class ScatterResult:
    """The PNG written, the projection, per-panel explained variance (PCA) and silhouette scores."""

    path: Path
    method: str
    explained_variance: list[float | None]
    silhouette: list[float]


def project_2d(x: np.ndarray, method: Method = "pca", seed: int = 0) -> tuple[np.ndarray, float | None]:
    """``(N, 2)`` coordinates and, for PCA, the share of variance the two axes explain."""
    x = np.asarray(x, dtype=np.float64)
    if method == "pca":
        centred = x - x.mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        var = s ** 2
        return centred @ vt[:2].T, float(var[:2].sum() / var.sum()) if var.sum() > 0 else None
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(min(30, max(2, (len(x) - 1) // 3)))
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x), None
    raise ValueError(f"unknown method {method!r} (pca or tsne)")


def silhouette(x: np.ndarray, labels: Sequence[str]) -> float:
    """Mean silhouette of ``labels`` in the embedding space (0 when fewer than two people)."""
    from sklearn.metrics import silhouette_score

    if len(set(labels)) < 2 or len(set(labels)) >= len(labels):
        return 0.0
    return float(silhouette_score(np.asarray(x, dtype=np.float64), np.asarray(labels)))


def scatter_png(panels: Sequence[ScatterPanel], path: str | Path, *, method: Method = "pca",
                title: str | None = None, seed: int = 0, dpi: int = 110) -> ScatterResult:
    """Draw the panels side by side with a shared legend and write a PNG."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    names = sorted({str(n) for p in panels for n in p.labels})
    cmap = "tab10" if len(names) <= 10 else "tab20"
    fig = Figure(figsize=(5.2 * len(panels) + 1.8, 5.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    explained: list[float | None] = []
    scores: list[float] = []
    colours = colormaps[cmap]
    for ax, panel in zip(axes, panels, strict=True):
        xy, ev = project_2d(panel.embeddings, method, seed)
        explained.append(ev)
        scores.append(silhouette(panel.embeddings, [str(n) for n in panel.labels]))
        labels = np.asarray([str(n) for n in panel.labels])
        for i, name in enumerate(names):
            m = labels == name
            if m.any():
                ax.scatter(xy[m, 0], xy[m, 1], s=18, color=colours(i % colours.N), alpha=0.85,
                           label=name.replace("_", " "), edgecolors="none")
        sub = f"silhouette {scores[-1]:.3f}" + (f", PCA {ev:.0%} of variance" if ev is not None else "")
        ax.set_title(f"{panel.title}\n{sub}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    handles, texts = axes[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside right center", fontsize="small", frameon=False)
    if title:
        fig.suptitle(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return ScatterResult(path, method, explained, scores)
