"""LFW View-2 accuracy and LFW-as-library grouping with the embeddings the import path produces.

    .venv/bin/python -m benchmarks.bench_lfw_import_path [--lfw DIR] [--backend onnx] [--no-int8]
        [--crops CROPS.npz] [--cache FILE.npz] [--json OUT]

One embedding pass over the images both protocols need (View-2 pairs and every image of the people with
>= 2 images): the import pipeline's detector and crop (``core.evaluation.lfw_run``), then the default
embedder (ONNX Runtime, int8 unless ``--no-int8``; ``--backend torch`` for the reference) on each face
and on its mirror image. From those, two variants: "plain" (no flip averaging) and "flip" (the
normalised sum, which is what the embedder's flip averaging computes). For each: LFW View-2 10-fold
accuracy and threshold t_v, and BCubed precision / recall / F1 of the library's average-linkage
grouping at the strictness presets (``CLUSTER_FACTORS`` x t_v) and at their re-calibrated factors (the
rule of bench_clustering.py). ``--cache`` keeps the raw embeddings between runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.bench_clustering import FaceSet, calibrate, lfw_people_paths, machine, run
from core.paths import lfw_default  # noqa: E402


def embed_all(root: Path, rels: list[str], backend: str, int8: bool,
              cached_crops: Path | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    from core.embedding.settings import EmbedderSettings
    from core.evaluation.lfw_run import lfw_crop
    from core.pipeline import FacePipeline, PipelineSettings

    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, backend=backend, int8=int8)))
    embedder = pipeline.embedder
    plain, mirror = [], []
    stored = None
    if cached_crops is not None:  # the same crops, made once by `benchmarks.int8_search crops --people`
        data = np.load(cached_crops)
        index = {r: i for i, r in enumerate(data["paths"])}
        stored = data["crops"][[index[r] for r in rels]]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for start in range(0, len(rels), 64):
            crops = stored[start:start + 64] if stored is not None else np.stack(
                [c for c, _ in pool.map(lambda r: lfw_crop(pipeline, root, r), rels[start:start + 64])])
            plain.append(embedder.embed(crops))
            mirror.append(embedder.embed(np.ascontiguousarray(crops[:, :, ::-1])))
            if start % 1280 == 0:
                print(f"  {start}/{len(rels)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    return np.concatenate(plain), np.concatenate(mirror), time.perf_counter() - t0


def evaluate(name: str, emb: dict[str, np.ndarray], root: Path, people: list[str]) -> dict:
    from core.clustering.presets import CLUSTER_FACTORS
    from core.evaluation.lfw import read_pairs, verify_10fold

    pairs = read_pairs(root / "pairs.txt")
    a = np.stack([emb[p.path_a] for p in pairs])
    b = np.stack([emb[p.path_b] for p in pairs])
    result = verify_10fold(((a - b) ** 2).sum(1), np.array([p.same for p in pairs]),
                           np.array([p.fold for p in pairs]))
    names = sorted({p.split("/")[0] for p in people})
    code = {n: i for i, n in enumerate(names)}
    faces = FaceSet(np.stack([emb[p] for p in people]).astype(np.float32),
                    np.array([code[p.split("/")[0]] for p in people]), names, people,
                    float(result.threshold_mean), name)
    rows = run(faces, peers=False)
    presets = {r["param"].split(" ")[0]: {k: r[k] for k in ("bcubed_p", "bcubed_r", "bcubed_f1", "threshold")}
               for r in rows if not r["param"].startswith("t=")}
    factors = calibrate(rows, faces.t_v)
    sweep = [r for r in rows if r["param"].startswith("t=")]
    ok = [r for r in sweep if r["bcubed_p"] >= 0.97]
    best = max(ok, key=lambda r: r["bcubed_f1"]) if ok else None
    return {"variant": name, "accuracy": float(result.accuracy_mean), "accuracy_std": float(result.accuracy_std),
            "t_v": float(result.threshold_mean), "presets": presets, "factors_in_code": CLUSTER_FACTORS,
            "calibrated_factors": factors,
            "best_f1_at_precision_0.97": None if best is None else
            {k: best[k] for k in ("bcubed_p", "bcubed_r", "bcubed_f1", "threshold")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=None)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--no-int8", action="store_true")
    parser.add_argument("--cache", type=Path, default=None, help="raw embeddings (.npz), reused when present")
    parser.add_argument("--crops", type=Path, default=None,
                        help="the import path's crops cached by `python -m benchmarks.int8_search crops --people`")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    root = args.lfw or lfw_default()
    if root is None:
        parser.error("LFW not found; pass --lfw or set FACEORG_LFW")
    from core.evaluation.lfw import read_pairs

    pairs = read_pairs(root / "pairs.txt")
    people = lfw_people_paths(root)
    rels = sorted({p.path_a for p in pairs} | {p.path_b for p in pairs} | set(people))
    seconds = 0.0
    if args.cache is not None and args.cache.is_file():
        data = np.load(args.cache)
        assert list(data["paths"]) == rels, "cache made for other images"
        plain, mirror = data["plain"], data["mirror"]
    else:
        plain, mirror, seconds = embed_all(root, rels, args.backend, not args.no_int8, args.crops)
        if args.cache is not None:
            np.savez(args.cache, paths=np.array(rels), plain=plain, mirror=mirror)
    flip = plain + mirror
    flip /= np.linalg.norm(flip, axis=1, keepdims=True)
    results = [evaluate(name, dict(zip(rels, e, strict=True)), root, people)
               for name, e in (("plain", plain), ("flip", flip))]
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "backend": args.backend,
           "int8": not args.no_int8, "images": len(rels), "embed_seconds": round(seconds, 1), "results": results}
    for r in results:
        print(f"{r['variant']}: View-2 {100 * r['accuracy']:.2f}% +- {100 * r['accuracy_std']:.2f}, "
              f"t_v {r['t_v']:.3f}; "
              f"presets {json.dumps(r['presets'])}; best F1 at P>=0.97 {r['best_f1_at_precision_0.97']}; "
              f"calibrated factors {r['calibrated_factors']}")
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
