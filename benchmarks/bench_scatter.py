"""Scatter plots (PCA) of the embeddings of 10 LFW people before and after training, as the seed notebook
showed them: docs/scatter_before_after.png.

    .venv/bin/python -m benchmarks.bench_scatter [--lfw DIR] [--scratch-model PATH] [--out PNG] [--json OUT]

People: 10 of the seed split's 62 (every 6th in sorted order), their first 20 images each. Panels:
* the SeedCNN untrained (random weights) and, when a saved scratch model exists (``faceorg train --mode
  scratch``), trained from scratch -- the seed notebook's before/after, 60x60 centre crops (the plotted people
  are among its 62 training people and the first 10 of each one's 20 images were its training images);
* the pretrained FaceNet (pipeline embeddings from the LFW cache) and FaceNet + a metric head trained, as the
  personal training does, on stored embeddings of LFW people with >= 10 images *excluding the plotted
  images*.
Each panel's title gives the silhouette score in the full embedding space (higher: people better apart).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from benchmarks.bench_seed_table import embed_60, fit_head, scratch_model
from benchmarks.harness import lfw_root
from core.evaluation.identification import seed_split
from core.evaluation.lfw_run import cached_embed_lfw
from core.evaluation.scatter import ScatterPanel, scatter_png
from core.modelstore.networks import SeedCNN, project
from core.pipeline import FacePipeline

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lfw", type=Path, default=None)
    ap.add_argument("--scratch-model", type=Path, default=None)
    ap.add_argument("--people", type=int, default=10)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "scatter_before_after.png")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    root = lfw_root(args.lfw)
    torch.set_num_threads(1)
    split = seed_split(root)
    step = max(1, len(split.people) // args.people)
    chosen = split.people[::step][:args.people]
    images = root / "images"
    plotted = [f"{n}/{f.name}" for n in chosen for f in sorted((images / n).glob("*.jpg"))[:args.images]]
    labels = [p.split("/")[0] for p in plotted]
    count: dict[str, list[str]] = {}
    for p in images.glob("*/*.jpg"):
        count.setdefault(p.parent.name, []).append(str(p.relative_to(images)))
    shown = set(plotted)
    train_paths = sorted(r for v in count.values() if len(v) >= 10 for r in v if r not in shown)
    lfw = cached_embed_lfw(root, sorted(set(plotted) | set(train_paths)), FacePipeline())
    emb = dict(zip(lfw.paths, lfw.embeddings, strict=True))
    before = np.stack([emb[p] for p in plotted])
    head = fit_head(np.stack([emb[p] for p in train_paths]), np.array([p.split("/")[0] for p in train_paths]))
    after = project(head, before)
    panels = []
    torch.manual_seed(0)
    files = [images / p for p in plotted]
    panels.append(ScatterPanel("SeedCNN, untrained (random weights)", embed_60(SeedCNN(), files), labels))
    scratch = scratch_model(args.scratch_model)
    if scratch is not None:
        panels.append(ScatterPanel(f"SeedCNN from scratch ({scratch[1].stem}; 10 of 20 were training images)",
                                   embed_60(scratch[0], files), labels))
    panels.append(ScatterPanel("Pretrained FaceNet", before, labels))
    panels.append(ScatterPanel("FaceNet + metric head (trained on other images)", after, labels))
    res = scatter_png(panels, args.out, title=f"{len(chosen)} LFW people, {args.images} images each (PCA)")
    print(f"wrote {res.path}")
    print("| panel | silhouette | PCA variance in 2-D |")
    print("|---|---|---|")
    for p, s, ev in zip(panels, res.silhouette, res.explained_variance, strict=True):
        print(f"| {p.title} | {s:.3f} | {ev:.0%} |")
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "people": chosen, "images_per_person": args.images, "png": str(res.path),
              "panels": [{"title": p.title, "silhouette": s, "explained_variance": ev}
                         for p, s, ev in zip(panels, res.silhouette, res.explained_variance, strict=True)]}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
