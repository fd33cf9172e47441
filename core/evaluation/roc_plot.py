"""ROC figures (PNG) for verification results, drawn with matplotlib's Agg canvas.

No pyplot: each call builds its own :class:`matplotlib.figure.Figure`, so it is safe in
worker threads and leaves no global state behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.evaluation.lfw import VerificationResult


def roc_plot(result: VerificationResult, out_png: str | Path, label: str = "",
             *, log_fpr: bool = False, title: str = "LFW ROC") -> Path:
    """Draw one ROC curve to ``out_png``; returns the path."""
    return roc_plot_many([(result, label)], out_png, log_fpr=log_fpr, title=title)


def roc_plot_many(curves: Sequence[tuple[VerificationResult, str]], out_png: str | Path,
                  *, log_fpr: bool = False, title: str = "LFW ROC") -> Path:
    """Draw several ROC curves on one axis; each legend entry carries accuracy and AUC."""
    fig = Figure(figsize=(6.0, 5.0), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for result, label in curves:
        roc = result.roc
        text = (f"{label + ': ' if label else ''}acc {result.accuracy_mean:.4f}"
                f" ± {result.accuracy_std:.4f}, AUC {roc.auc:.4f}, EER {roc.eer:.4f}")
        fpr = roc.fpr
        if log_fpr:  # the first point (0, 0) cannot be drawn on a log axis
            fpr, tpr = fpr[1:], roc.tpr[1:]
        else:
            tpr = roc.tpr
        ax.plot(fpr, tpr, linewidth=1.5, label=text)
    if log_fpr:
        ax.set_xscale("log")
    else:
        ax.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)
        ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("true accept rate")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if curves:
        ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out
