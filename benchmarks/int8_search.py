"""Search for an int8 FaceNet that keeps the import path's LFW accuracy: cached crops, candidate models, scores.

    .venv/bin/python -m benchmarks.int8_search crops [--people] [--out FILE.npz]
    .venv/bin/python -m benchmarks.int8_search score MODEL.onnx [...] [--crops FILE.npz] [--json OUT]

``crops``: the import path's 160-px inputs (``core.evaluation.lfw_run.lfw_crop``: the import pipeline's detector
and alignment) of the 7,701 View-2 images (``--people``: also every image of the people with >= 2 images, what
LFW-as-library grouping needs), once, as uint8 in an ``.npz``. ``score``: each ONNX model over those crops and
their mirror images (one thread), LFW View-2 10-fold accuracy without and with flip averaging, the number of
wrongly classified pairs (summed over the folds, of 6,000), the cosine to the float model's embeddings, and the
model's CPU ms a face. The float model's embeddings are cached beside the crops.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from core.paths import cache_dir, lfw_default

CANDIDATES = cache_dir() / "int8-candidates"


def _configs() -> dict:
    from core.embedding.int8 import QuantConfig as Q

    tail = ("/repeat_3/", "/block8/")
    return {"base": Q(), "rr": Q(reduce_range=True), "sym": Q(symmetric_activations=True),
            "tail": Q(keep_float=tail), "tail7a": Q(keep_float=("/mixed_7a/", *tail)),
            "up": Q(keep_float=("/up/",)), "stem": Q(keep_float=("/conv2d_",)),
            "rr_tail": Q(reduce_range=True, keep_float=tail), "qop": Q(qoperator=True),
            "rr_tail7a": Q(reduce_range=True, keep_float=("/mixed_7a/", *tail)),
            "rr_up": Q(reduce_range=True, keep_float=("/up/",)), "block8": Q(keep_float=("/block8/",))}


CONFIGS = _configs()


def view2_paths(root: Path) -> list[str]:
    from core.evaluation.lfw import read_pairs

    pairs = read_pairs(root / "pairs.txt")
    return sorted({p.path_a for p in pairs} | {p.path_b for p in pairs})


def make_crops(root: Path, rels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 160, 160, 3) uint8 import-path crops and the fallback flags (no face found: centre crop)."""
    from core.evaluation.lfw_run import lfw_crop
    from core.pipeline import FacePipeline

    pipeline = FacePipeline()
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda r: lfw_crop(pipeline, root, r), rels))
    return np.stack([c for c, _ in got]), np.array([f for _, f in got])


def session(model: Path, threads: int = 1):  # noqa: ANN201
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def embed(sess, crops: np.ndarray, batch: int = 64,  # noqa: ANN001
          mirrored: bool = True) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Plain and mirror-image embeddings of ``crops`` (``mirrored=False``: no mirror images, None), and the
    CPU ms a face (process time)."""
    from core.alignment import standardize

    plain, mirror = [], []
    t = time.process_time()
    for start in range(0, len(crops), batch):
        x = standardize(crops[start:start + batch])
        plain.append(sess.run(None, {"faces": x})[0])
        if mirrored:
            mirror.append(sess.run(None, {"faces": np.ascontiguousarray(x[:, :, :, ::-1])})[0])
    ms = 1000 * (time.process_time() - t) / ((1 + mirrored) * len(crops))
    return np.concatenate(plain), np.concatenate(mirror) if mirrored else None, ms


def score_pairs(root: Path, rels: list[str], emb: np.ndarray) -> dict:
    from core.evaluation.lfw import read_pairs, verify_10fold

    pairs = read_pairs(root / "pairs.txt")
    index = {r: i for i, r in enumerate(rels)}
    a = emb[[index[p.path_a] for p in pairs]]
    b = emb[[index[p.path_b] for p in pairs]]
    same = np.array([p.same for p in pairs])
    result = verify_10fold(((a - b) ** 2).sum(1), same, np.array([p.fold for p in pairs]))
    wrong = round(float((1 - result.accuracy_per_fold).sum() * len(pairs) / len(result.accuracy_per_fold)))
    return {"accuracy": round(100 * result.accuracy_mean, 3), "std": round(100 * result.accuracy_std, 2),
            "wrong_pairs": wrong, "t_v": round(result.threshold_mean, 4)}


def flip_avg(plain: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    e = plain + mirror
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def load_crops(path: Path) -> tuple[list[str], np.ndarray]:
    data = np.load(path)
    return list(data["paths"]), data["crops"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["crops", "build", "score", "speed"])
    parser.add_argument("--configs", default="", help="build: comma-separated names of CONFIGS")
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--lfw", type=Path, default=None)
    parser.add_argument("--people", action="store_true")
    parser.add_argument("--crops", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=0, help="score only the first N crops (cosine, speed)")
    parser.add_argument("--others", action="store_true",
                        help="score: embed the cached crops outside View 2 instead (saved, not scored)")
    parser.add_argument("--plain", action="store_true", help="score: no mirror images (no flip averaging)")
    parser.add_argument("--mirror", action="store_true",
                        help="score: only the mirror images (saved; the flip score when the plain run's file exists)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_intermixed_args(argv)
    root = args.lfw or lfw_default()
    if root is None:
        parser.error("LFW not found; pass --lfw or set FACEORG_LFW")
    crops_file = args.crops or cache_dir() / "lfw-view2-crops.npz"
    if args.what == "crops":
        rels = view2_paths(root)
        if args.people:
            from benchmarks.bench_clustering import lfw_people_paths

            rels = sorted(set(rels) | set(lfw_people_paths(root)))
        t0 = time.perf_counter()
        crops, fallback = make_crops(root, rels)
        np.savez(crops_file, paths=np.array(rels), crops=crops, fallback=fallback)
        print(json.dumps({"images": len(rels), "fallback": int(fallback.sum()), "seconds": round(
            time.perf_counter() - t0, 1), "file": str(crops_file)}))
        return 0
    from core.embedding.onnx_embedder import pretrained_onnx

    if args.what == "build":
        from core.embedding.int8 import build_int8

        CANDIDATES.mkdir(parents=True, exist_ok=True)
        for name in args.configs.split(","):
            t0 = time.perf_counter()
            build_int8(pretrained_onnx("float"), CANDIDATES / f"{name}.onnx", config=CONFIGS[name])
            print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        return 0
    if args.what == "speed":  # CPU ms a face, one thread, 32-face batches, best of 3 (run it under flock)
        from core.alignment import standardize

        x = standardize(load_crops(crops_file)[1][:32])
        for model in [pretrained_onnx("float"), *args.models]:
            sess = session(model)
            sess.run(None, {"faces": x[:2]})
            times = []
            for _ in range(3):
                t = time.process_time()
                sess.run(None, {"faces": x})
                times.append(1000 * (time.process_time() - t) / len(x))
            print(json.dumps({"model": Path(model).stem, "cpu_ms_per_face": round(min(times), 1),
                              "all": [round(v, 1) for v in times]}), flush=True)
        return 0
    rels, crops = load_crops(crops_file)
    view2 = set(view2_paths(root))
    if args.limit:  # a cheap proxy: the cosine to the float model on the first N crops
        rels, crops = rels[:args.limit], crops[:args.limit]
    else:
        keep = np.array([(r in view2) != args.others for r in rels])
        rels, crops = [r for r, k in zip(rels, keep, strict=True) if k], crops[keep]
    part = "others" if args.others else "view2"
    ref_file = crops_file.with_suffix(f".float{args.limit or part}.npz")
    ref = np.load(ref_file) if ref_file.is_file() else None
    if ref is None and args.limit:
        plain, mirror, _ = embed(session(pretrained_onnx("float")), crops)
        assert mirror is not None
        np.savez(ref_file, plain=plain, mirror=mirror)
        ref = np.load(ref_file)
    rows: list[dict] = []
    for model in args.models or [pretrained_onnx("float")]:
        if args.mirror:
            mirror_file = ref_file.with_name(f"{Path(model).stem}.{part}.mirror.npz")
            got, _, ms = embed(session(model), np.ascontiguousarray(crops[:, :, ::-1]), mirrored=False)
            np.savez(mirror_file, paths=np.array(rels), mirror=got)
            plain_file = ref_file.with_name(f"{Path(model).stem}.{part}.npz")
            row = {"model": str(model), "ms_per_face": round(ms, 1), "mirror_only": True}
            if plain_file.is_file():
                row["plain"] = score_pairs(root, rels, np.load(plain_file)["plain"])
                row["flip"] = score_pairs(root, rels, flip_avg(np.load(plain_file)["plain"], got))
            print(json.dumps(row), flush=True)
            rows.append(row)
            continue
        plain, mirror, ms = embed(session(model), crops, mirrored=not args.plain)
        row = {"model": str(model), "ms_per_face": round(ms, 1)}
        if ref is not None:
            cos = (plain * ref["plain"]).sum(1) if mirror is None else \
                (flip_avg(plain, mirror) * flip_avg(ref["plain"], ref["mirror"])).sum(1)
            row |= {"cos_min": round(float(cos.min()), 5), "cos_mean": round(float(cos.mean()), 5),
                    "cos_p01": round(float(np.percentile(cos, 1)), 5)}
        else:
            arrays = {"paths": np.array(rels), "plain": plain} | ({} if mirror is None else {"mirror": mirror})
            np.savez(ref_file.with_name(f"{Path(model).stem}.{part}.npz"), **arrays)
        if not args.limit and not args.others:
            row["plain"] = score_pairs(root, rels, plain)
            if mirror is not None:
                row["flip"] = score_pairs(root, rels, flip_avg(plain, mirror))
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
