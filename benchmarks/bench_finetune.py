"""LFW fine-tuning benchmark: 10-fold unrestricted protocol, pretrained vs fine-tuned head.

Crops come from fixed detections (``benchmarks/lfw_detections.py``) and the alignment settings;
trunk features are cached once, then each ``--config`` (JSON overrides of TrainConfig) runs the
folds. Prints one JSON line per fold and a summary; ``--json`` writes everything.

    python -m benchmarks.bench_finetune --lfw ../shared/lfw --dets dets_yunet.npz --folds 0 --config '{"epochs": 2}'
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import torch

from benchmarks.bench_lfw_alignment import load_dets, load_model, make_crops, read_rgb
from core.alignment import AlignSettings
from core.evaluation.lfw import read_pairs
from core.training.finetune import FinetuneConfig, finetune_lfw, trunk_features
from core.training.trainer import TrainConfig


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", required=True)
    ap.add_argument("--dets", required=True, help="detections .npz of every LFW image")
    ap.add_argument("--weights", help="half-precision state dict (.npz); default: the converted pretrained model")
    ap.add_argument("--align", default="{}", help="AlignSettings overrides as JSON")
    ap.add_argument("--config", action="append", default=[], help="TrainConfig overrides as JSON (repeatable)")
    ap.add_argument("--folds", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--limit", type=int, help="only the first N images (smoke runs)")
    args = ap.parse_args()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    root = Path(args.lfw)
    paths = sorted(str(p.relative_to(root / "images")) for p in (root / "images").glob("*/*.jpg"))
    paths = paths[:args.limit] if args.limit else paths
    known = set(paths)
    pairs = [p for p in read_pairs(root / "pairs.txt") if p.path_a in known and p.path_b in known]
    model = load_model(args.weights, device)
    settings = AlignSettings(**json.loads(args.align))
    dets = load_dets(args.dets)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        images = dict(zip(paths, pool.map(lambda r: read_rgb(root / "images" / r), paths), strict=True))
        crops = make_crops(images, dets, paths, settings, pool)
    del images
    features = trunk_features(model, crops, device=device, batch_size=256 if device.type == "cuda" else 32)
    feature_seconds = time.perf_counter() - t0
    print(json.dumps({"features": list(features.shape), "seconds": round(feature_seconds, 1)}), flush=True)
    model = model.cpu()
    runs = []
    folds = tuple(int(f) for f in args.folds.split(","))
    for overrides in args.config or ["{}"]:
        train_cfg = dataclasses.replace(FinetuneConfig().train, device=device.type, **json.loads(overrides))
        cfg = FinetuneConfig(train=train_cfg, folds=folds)
        t = time.perf_counter()
        res = finetune_lfw(model.to(device), features, paths, root, pairs, cfg,
                           on_fold=lambda r: print(json.dumps(dataclasses.asdict(r)), flush=True))
        run = {"config": dataclasses.asdict(train_cfg), "mean_before": res.mean_before, "mean_after": res.mean_after,
               "worse_folds": res.worse_folds, "folds": [dataclasses.asdict(r) for r in res.folds],
               "seconds": round(time.perf_counter() - t, 1)}
        runs.append(run)
        print(json.dumps({k: run[k] for k in ("mean_before", "mean_after", "worse_folds", "seconds")}), flush=True)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "device": torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor(),
              "align": dataclasses.asdict(settings), "feature_seconds": round(feature_seconds, 1), "runs": runs,
              "train_config_type": TrainConfig.__name__}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
