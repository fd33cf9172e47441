"""Does image augmentation help the CPU fine-tuning? Real jittered views, cached as trunk features.

    .venv/bin/python benchmarks/bench_finetune_augviews.py --views 2 --epochs 3 \\
        --json benchmarks/results/finetune-augviews-cpu.json

The CLI's CPU path trains the head on trunk features cached once per image, so its only augmentation is
the mirror image. Here every image of a person with >= 2 images also gets ``--views`` random views
(:func:`core.training.face_jitter.jittered_crop`: rotation <= 10 deg, scale 0.9-1.1, shift <= 5 %, colour
jitter 0.25; seeded per image and view), each with its mirror image, through the frozen trunk (cached under
``<cache>/lfw_trunk_aug/``). Training then draws one of the 2 + 2 x views features of a face at random;
scoring uses the plain image and its mirror, as the CLI does. Everything else is the CLI's protocol
(:func:`core.training.finetune.finetune_lfw`, same settings as ``faceorg train --mode finetune``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.evaluation.lfw import read_pairs  # noqa: E402
from core.evaluation.lfw_run import central_detection  # noqa: E402
from core.imaging.loader import load_image  # noqa: E402
from core.paths import cache_dir, lfw_default  # noqa: E402
from core.pipeline import FacePipeline  # noqa: E402
from core.training.face_jitter import jittered_crop  # noqa: E402
from core.training.finetune import FinetuneConfig, finetune_lfw, trunk_features  # noqa: E402
from core.training.lfw_finetune import cached_trunk_features, default_train_config, lfw_paths  # noqa: E402
from core.training.saved_model import atomic_torch_save  # noqa: E402

CHUNK = 256


def _view(pipeline: FacePipeline, root: Path, rel: str, view: int) -> np.ndarray:
    image = load_image(root / "images" / rel).rgb
    det = central_detection(pipeline.detector().detect(image), image.shape[1], image.shape[0])
    seed = int.from_bytes(hashlib.sha256(f"{rel}|{view}".encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    if det is None:  # as the pipeline: the centre of the image stands in for the face
        h, w = image.shape[:2]
        side = min(h, w) * 0.5 / 1.2
        return jittered_crop(image, ((w - side) / 2, (h - side) / 2, side, side), rng, pipeline.settings.align)
    return jittered_crop(image, det.box, rng, pipeline.settings.align)


def augmented_features(root: Path, paths: list[str], view: int, base: torch.nn.Module) -> torch.Tensor:
    """(N, 2, 1792, 3, 3) trunk features of view ``view`` of ``paths`` and its mirror, cached in chunks."""
    pipeline = FacePipeline()
    folder = cache_dir() / "lfw_trunk_aug" / f"view-{view}"
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    t0 = time.perf_counter()
    for s in range(0, len(paths), CHUNK):
        chunk = paths[s:s + CHUNK]
        file = folder / (hashlib.sha256(repr(chunk).encode()).hexdigest()[:16] + ".pt")
        if file.is_file():
            parts.append(torch.load(file, weights_only=True))
            continue
        with ThreadPoolExecutor(max_workers=2) as pool:
            crops = np.stack(list(pool.map(lambda rel: _view(pipeline, root, rel, view), chunk)))
        feats = trunk_features(base, crops, standardization=pipeline.settings.embedder.standardization)
        atomic_torch_save(feats, file)
        parts.append(feats)
        print(f"view {view}: {s + len(chunk)}/{len(paths)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return torch.cat(parts)


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
    root = args.lfw or lfw_default()
    if root is None:
        raise SystemExit("LFW not found: pass --lfw DIR")
    from core.embedding.weights import pretrained_facenet

    t0 = time.perf_counter()
    base = pretrained_facenet()
    paths = lfw_paths(root)
    person = np.array([p.split("/")[0] for p in paths])
    names, counts = np.unique(person, return_counts=True)
    trained = np.flatnonzero(np.isin(person, names[counts >= 2]))  # only these ever enter training
    plain = cached_trunk_features(root, paths, base=base)
    views = [plain]
    for v in range(args.views):
        extra = plain.clone()  # people with one image keep their plain features: they are never drawn
        extra[trained] = augmented_features(root, [paths[i] for i in trained], v, base)
        views.append(extra)
    features = torch.cat(views, dim=1) if len(views) > 1 else plain  # (N, 2 + 2 x views, ...)
    del views, plain
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
