"""Loss-curve figure of a training run (matplotlib's Figure API, no pyplot, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def save_loss_curve(path: str | Path, losses: Sequence[float], *, steps_per_epoch: int | None = None,
                    val_scores: Sequence[float] = (), title: str = "Triplet loss") -> Path:
    """Write a PNG with the per-step loss, its per-epoch mean and, on a second axis, the validation
    scores (one per epoch). Returns the path."""
    from matplotlib.figure import Figure  # imported here: matplotlib is slow to import

    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    steps = range(1, len(losses) + 1)
    ax.plot(steps, losses, color="tab:blue", alpha=0.35, linewidth=0.8, label="loss (step)")
    if steps_per_epoch and len(losses) >= steps_per_epoch:
        n, spe = len(losses) // steps_per_epoch, steps_per_epoch
        means = [sum(losses[i * spe:(i + 1) * spe]) / spe for i in range(n)]
        ax.plot([(i + 1) * steps_per_epoch for i in range(n)], means, color="tab:blue", marker="o",
                markersize=3, label="loss (epoch mean)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if val_scores and steps_per_epoch:
        ax2 = ax.twinx()
        ax2.plot([(i + 1) * steps_per_epoch for i in range(len(val_scores))], list(val_scores),
                 color="tab:orange", marker="s", markersize=3, label="validation")
        ax2.set_ylabel("validation score")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="upper right", fontsize="small")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
