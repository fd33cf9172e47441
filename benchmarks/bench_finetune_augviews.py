"""Does image augmentation help the CPU fine-tuning? Real jittered views, cached as trunk features.

    .venv/bin/python -m benchmarks.bench_finetune_augviews --views 2 --epochs 3 \\
        --json benchmarks/results/finetune-augviews-cpu.json

The CLI's CPU path trains the head on trunk features cached once per image, so its only augmentation is
the mirror image. Here every image of a person with >= 2 images also gets ``--views`` random views
(:func:`core.training.face_jitter.jittered_crop`: rotation <= 10 deg, scale 0.9-1.1, shift <= 5 %, colour
jitter 0.25; seeded per image and view), each with its mirror image, through the frozen trunk (cached:
:mod:`core.training.lfw_views`). Training then draws one of the 2 + 2 x views features of a face at random;
scoring uses the plain image and its mirror, as the CLI does. Everything else is the CLI's protocol
(:func:`core.training.finetune.finetune_lfw`, same settings as ``faceorg train --mode finetune``), which
has since taken the views as ``--views`` (off by default): ``faceorg train --mode finetune --views N`` runs the
same folds with the same features and seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

from benchmarks.harness import lfw_root
from core.evaluation.lfw import read_pairs
from core.paths import cache_dir
from core.training.finetune import FinetuneConfig, finetune_lfw
from core.training.lfw_finetune import cached_trunk_features, default_train_config, lfw_paths
from core.training.lfw_views import stacked_features


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, default=None)
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--folds", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    root = lfw_root(args.lfw)
    from core.embedding.weights import pretrained_facenet

    t0 = time.perf_counter()
    base = pretrained_facenet()
    paths = lfw_paths(root)
    features = stacked_features(cached_trunk_features(root, paths, base=base), root, paths, args.views, base=base)
    t_feats = time.perf_counter() - t0
    cfg = FinetuneConfig(train=dataclasses.replace(default_train_config(), device="cpu", epochs=args.epochs),
                         folds=tuple(int(f) for f in args.folds.split(",")))
    work = cache_dir() / "training" / f"augviews-{args.views}-e{args.epochs}"
    rows = []

    def on_fold(r) -> None:  # noqa: ANN001
        rows.append(dataclasses.asdict(r))
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)

    result = finetune_lfw(base, features, paths, root, read_pairs(root / "pairs.txt"), cfg, on_fold=on_fold,
                          checkpoint_dir=work)
    g = [(r["grouping_faces"], r["grouping_f1_before"], r["grouping_f1_after"]) for r in rows]
    n = sum(x[0] for x in g)
    summary = {"mean_before": result.mean_before, "mean_after": result.mean_after,
               "grouping_f1_before": sum(x[0] * x[1] for x in g) / n,
               "grouping_f1_after": sum(x[0] * x[2] for x in g) / n,
               "worse_folds": result.worse_folds}
    print(json.dumps(summary))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
            "threads": args.threads, "views": args.views, "config": dataclasses.asdict(cfg), "summary": summary,
            "folds": rows, "feature_seconds": t_feats, "seconds": time.perf_counter() - t0}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
