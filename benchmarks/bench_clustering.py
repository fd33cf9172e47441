"""Clustering quality on LFW as a photo library: our average-linkage agglomerative clustering
side by side with DBSCAN (as Immich / PhotoPrism run it) and sklearn HDBSCAN, in one run.

    .venv/bin/python -m benchmarks.bench_clustering [--lfw DIR] [--margin 0.1] [--json OUT]
        [--synthetic N]

Faces: every LFW image of the people with at least 2 images (9,164 images, 1,680 people), one
photo each, embedded through the real pipeline (``cached_embed_lfw``: detector, crop, FaceNet,
flip averaging; memoised on disk, the first run embeds them on the CPU). ``--margin`` sets the
crop margin (default: the pipeline default). ``--synthetic N`` runs on synthetic embeddings
instead (a quick smoke run, numbers meaningless).

The verification threshold t_v is re-measured here: the mean 10-fold best-accuracy threshold of
LFW View 2 (``pairs.txt``, 6,000 pairs, same cached pipeline embeddings). The strict / normal / loose points are
``core.clustering.presets.CLUSTER_FACTORS`` x t_v; the calibration rule printed at the end
is: strict = largest threshold with BCubed precision >= 0.99, normal = largest with >= 0.97 (but not
past the smallest threshold within 0.005 of the best BCubed F1), loose = the best BCubed F1's threshold.

Metrics: BCubed precision / recall / F1 and pairwise F1 (``core.evaluation.clustering``), with
noise and unclustered faces counted as singletons; clusters = groups of >= 2 faces.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.harness import write_json
from core.clustering.agglomerative import cluster_faces
from core.clustering.peers import dbscan_labels, hdbscan_labels
from core.clustering.presets import CLUSTER_FACTORS, LFW_VERIFICATION_THRESHOLD
from core.evaluation.clustering import score_clustering

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class FaceSet:
    """Embeddings with person labels; ``t_v``: the verification threshold measured on them."""

    embeddings: np.ndarray
    labels: np.ndarray
    names: list[str]
    paths: list[str]
    t_v: float
    source: str
    embed_seconds: float = 0.0
    single: np.ndarray | None = None  # people with one image (only when asked for)


def machine() -> dict:
    return {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()}


def lfw_people_paths(root: Path, min_images: int = 2) -> list[str]:
    """Sorted relative paths of every image of the people with at least ``min_images`` images."""
    people: dict[str, list[str]] = {}
    for p in (root / "images").glob("*/*.jpg"):
        people.setdefault(p.parent.name, []).append(f"{p.parent.name}/{p.name}")
    return sorted(r for v in people.values() if len(v) >= min_images for r in v)


def verification(root: Path, pipeline: object) -> tuple[float, float]:
    """(t_v, accuracy): the LFW View-2 10-fold protocol on the official pairs (cached embeddings)."""
    from core.evaluation.lfw import pair_arrays, pair_distances, read_pairs, verify_10fold
    from core.evaluation.lfw_run import cached_embed_lfw

    pairs = read_pairs(root / "pairs.txt")
    paths = sorted({p.path_a for p in pairs} | {p.path_b for p in pairs})
    emb = cached_embed_lfw(root, paths, pipeline)  # type: ignore[arg-type]
    a, b, same, folds = pair_arrays(pairs, emb.index())
    result = verify_10fold(pair_distances(emb.embeddings, a, b), same, folds)
    return float(result.threshold_mean), float(result.accuracy_mean)


def single_image_pair_paths(root: Path) -> list[str]:
    """Images of people with exactly one LFW image that appear in View-2 pairs (embedded for t_v anyway)."""
    from core.evaluation.lfw import read_pairs

    multi = {p.split("/")[0] for p in lfw_people_paths(root)}
    pairs = read_pairs(root / "pairs.txt")
    return sorted({q for p in pairs for q in (p.path_a, p.path_b) if q.split("/")[0] not in multi})


def load_faces(args: argparse.Namespace, *, singles: bool = False) -> FaceSet:
    """LFW people with >= 2 images through the real pipeline (or ``--synthetic N``); with
    ``singles``, also the single-image people of View 2 (marked in ``FaceSet.single``)."""
    if getattr(args, "synthetic", None):
        from core.evaluation.synthetic import synthetic_faces

        data = synthetic_faces(args.synthetic, seed=0)
        names = [f"p{i}" for i in range(data.n_people)]
        single = np.bincount(data.labels)[data.labels] == 1
        keep = ~single | singles
        return FaceSet(data.embeddings[keep], data.labels[keep], names,
                       [f"{names[y]}/{i}" for i, y in enumerate(data.labels[keep])],
                       LFW_VERIFICATION_THRESHOLD, f"synthetic({args.synthetic})", single=single[keep])
    from core.alignment import AlignSettings
    from core.evaluation.lfw_run import cached_embed_lfw
    from core.paths import lfw_default
    from core.pipeline import FacePipeline, PipelineSettings

    root = Path(args.lfw) if args.lfw else lfw_default()
    if root is None:
        raise SystemExit("LFW not found: pass --lfw DIR (or set FACEORG_LFW)")
    settings = PipelineSettings()
    if args.margin is not None:
        settings = PipelineSettings(align=AlignSettings(margin=args.margin))
    pipeline = FacePipeline(settings)
    paths = lfw_people_paths(root)
    n_main = len(paths)
    if singles:
        paths += single_image_pair_paths(root)
    t0 = time.perf_counter()

    def progress(p: object) -> None:
        done = getattr(p, "done", 0)
        if done % 320 == 0:
            print(f"  embedding LFW: {done}/{getattr(p, 'total', '?')} ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr)

    emb = cached_embed_lfw(root, paths, pipeline, progress=progress)
    names = sorted({p.split("/")[0] for p in paths})
    code = {n: i for i, n in enumerate(names)}
    labels = np.array([code[p.split("/")[0]] for p in paths], dtype=np.int64)
    t_v, accuracy = verification(root, pipeline)
    single = np.arange(len(paths)) >= n_main
    return FaceSet(emb.embeddings.astype(np.float32), labels, names, paths, t_v,
                   f"LFW through the pipeline (crop margin {settings.align.margin}, flip {settings.embedder.flip}); "
                   f"View-2 accuracy {accuracy:.4f}", emb.elapsed_s, single=single)


def row(method: str, param: str, labels: np.ndarray, truth: np.ndarray, seconds: float) -> dict:
    s = score_clustering(truth, labels)
    sizes = np.bincount(labels)
    return {"method": method, "param": param, "bcubed_p": s.bcubed_precision, "bcubed_r": s.bcubed_recall,
            "bcubed_f1": s.bcubed_f1, "pair_f1": s.pairwise_f1, "clusters": int((sizes >= 2).sum()),
            "predicted_groups": s.n_clusters, "people": s.n_people, "seconds": round(seconds, 2)}


def calibrate(rows: list[dict], t_v: float) -> dict[str, float]:
    """Factors (threshold / t_v) by the rule of the module doc, from the agglomerative sweep."""
    sweep = sorted((r for r in rows if r["method"] == "agglomerative" and r["param"].startswith("t=")),
                   key=lambda r: r["threshold"])
    best = max(sweep, key=lambda r: r["bcubed_f1"])

    def largest(p_min: float) -> float:
        ok = [r["threshold"] for r in sweep if r["bcubed_p"] >= p_min]
        return max(ok) if ok else sweep[0]["threshold"]

    near_best = min(r["threshold"] for r in sweep if r["bcubed_f1"] >= best["bcubed_f1"] - 0.005)
    normal = min(largest(0.97), near_best)
    return {"strict": round(largest(0.99) / t_v, 3), "normal": round(normal / t_v, 3),
            "loose": round(max(best["threshold"], normal) / t_v, 3)}


def run(faces: FaceSet, *, peers: bool = True) -> list[dict]:
    x, y, t_v = faces.embeddings, faces.labels, faces.t_v
    rows: list[dict] = []
    t0 = time.perf_counter()
    top = cluster_faces(x, 1.25 * t_v, mode="exact")
    full_s = time.perf_counter() - t0
    for thr in np.round(np.arange(0.40, 1.201, 0.025) * t_v, 4):
        r = row("agglomerative", f"t={thr:.3f}", top.cut(float(thr)), y, full_s)
        rows.append({**r, "threshold": float(thr)})
    for name, factor in CLUSTER_FACTORS.items():
        thr = factor * t_v
        t0 = time.perf_counter()
        labels = cluster_faces(x, thr, mode="exact").labels
        rows.append({**row("agglomerative", f"{name} ({factor:.2f} t_v = {thr:.3f})", labels, y,
                           time.perf_counter() - t0), "threshold": thr})
    if not peers:
        return rows
    for min_samples in (3, 5):
        for eps in (0.45, 0.50, 0.55, 0.60, 0.64, 0.70, 0.75, 0.80, 0.90, 1.00):
            t0 = time.perf_counter()
            labels = dbscan_labels(x, eps, min_samples)
            rows.append(row("dbscan", f"eps={eps:.2f} min_samples={min_samples}", labels, y,
                            time.perf_counter() - t0))
    for mcs in (2, 3, 5):
        t0 = time.perf_counter()
        labels = hdbscan_labels(x, min_cluster_size=mcs)
        rows.append(row("hdbscan", f"min_cluster_size={mcs}", labels, y, time.perf_counter() - t0))
    return rows


def markdown(rows: list[dict]) -> str:
    head = "| method | parameters | BCubed P | BCubed R | BCubed F1 | pairwise F1 | clusters (>=2) | people | s |"
    out = [head, "|" + "---|" * 9]
    for r in rows:
        out.append(f"| {r['method']} | {r['param']} | {r['bcubed_p']:.4f} | {r['bcubed_r']:.4f} | "
                   f"{r['bcubed_f1']:.4f} | {r['pair_f1']:.4f} | {r['clusters']} | {r['people']} | {r['seconds']} |")
    return "\n".join(out)


def best_under(rows: list[dict], method: str, p_min: float) -> dict | None:
    ok = [r for r in rows if r["method"] == method and r["bcubed_p"] >= p_min]
    return max(ok, key=lambda r: r["bcubed_f1"]) if ok else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", help="LFW folder (default: core.paths.lfw_default())")
    ap.add_argument("--margin", type=float, default=None, help="crop margin (default: the pipeline's)")
    ap.add_argument("--synthetic", type=int, default=None, metavar="N", help="N synthetic faces instead of LFW")
    ap.add_argument("--no-peers", action="store_true", help="skip DBSCAN / HDBSCAN")
    ap.add_argument("--json", dest="json_out", default=str(RESULTS / "clustering-lfw.json"))
    args = ap.parse_args()
    faces = load_faces(args)
    print(f"{faces.source}: {len(faces.labels)} faces, {len(np.unique(faces.labels))} people, "
          f"t_v = {faces.t_v:.4f} (constant in code: {LFW_VERIFICATION_THRESHOLD})")
    rows = run(faces, peers=not args.no_peers)
    print(markdown(rows))
    summary = {m: best_under(rows, m, 0.97) for m in ("agglomerative", "dbscan", "hdbscan")}
    factors = calibrate(rows, faces.t_v)
    print("\nBest BCubed F1 with BCubed precision >= 0.97:")
    for m, r in summary.items():
        print(f"  {m}: " + ("none" if r is None else f"{r['param']}: F1 {r['bcubed_f1']:.4f}, P {r['bcubed_p']:.4f}"))
    print(f"Calibrated factors (x t_v): {factors}; in code: {CLUSTER_FACTORS}")
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "source": faces.source,
           "n_faces": len(faces.labels), "n_people": int(len(np.unique(faces.labels))), "t_v": faces.t_v,
           "t_v_in_code": LFW_VERIFICATION_THRESHOLD, "factors_in_code": CLUSTER_FACTORS,
           "calibrated_factors": factors, "best_at_precision_0.97": summary, "rows": rows}
    if args.json_out:
        write_json(args.json_out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
