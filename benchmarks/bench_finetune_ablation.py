"""Fine-tuning ablations on the CPU: the LFW protocol of ``faceorg train --mode finetune`` on some folds,
once per ``--config`` (TrainConfig overrides as JSON), on the cached trunk features of the real pipeline.

    .venv/bin/python -m benchmarks.bench_finetune_ablation --folds 3 --config '{"lr": 2e-5}' \\
        --config '{"miner": "batch_hard"}' --json benchmarks/results/finetune-ablation-cpu.json

The base settings are ``core.training.lfw_finetune.default_train_config()`` with ``--epochs``. Trunk features
come from the same on-disk cache as the CLI (computed first if missing: ~25 min on this CPU).
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
from core.training.finetune import FinetuneConfig, finetune_lfw
from core.training.lfw_finetune import cached_trunk_features, default_train_config, lfw_paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, default=None)
    ap.add_argument("--folds", default="3")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--config", action="append", default=[], help="TrainConfig overrides as JSON (repeatable)")
    ap.add_argument("--trainable", default="repeat_3,block8,last_linear",
                    help="comma-separated parts of the head that train (the rest stays pretrained)")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    root = lfw_root(args.lfw)
    from core.embedding.weights import pretrained_facenet

    paths = lfw_paths(root)
    pairs = read_pairs(root / "pairs.txt")
    base = pretrained_facenet()
    features = cached_trunk_features(root, paths, base=base)
    folds = tuple(int(f) for f in args.folds.split(","))
    runs = []
    for overrides in [json.loads(c) for c in args.config] or [{}]:
        cfg = dataclasses.replace(default_train_config(), device="cpu", epochs=args.epochs, **overrides)
        c0, t0 = time.process_time(), time.perf_counter()
        trainable = tuple(args.trainable.split(","))
        res = finetune_lfw(base, features, paths, root, pairs,
                           FinetuneConfig(train=cfg, folds=folds, trainable=trainable),
                           on_fold=lambda f: print("done", json.dumps(dataclasses.asdict(f)), flush=True))
        runs.append({"overrides": overrides, "trainable": trainable, "config": dataclasses.asdict(cfg),
                     "folds": [dataclasses.asdict(f) for f in res.folds], "mean_before": res.mean_before,
                     "mean_after": res.mean_after, "cpu_minutes": (time.process_time() - c0) / 60,
                     "seconds": time.perf_counter() - t0})
        for f in res.folds:
            print(f"{json.dumps(overrides)} {args.trainable} fold {f.fold}: "
                  f"{f.accuracy_before:.2%} -> {f.accuracy_after:.2%} "
                  f"(best epoch {f.best_epoch}; grouping F1 {f.grouping_f1_before:.3f} -> {f.grouping_f1_after:.3f})",
                  flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
            "threads": args.threads, "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
