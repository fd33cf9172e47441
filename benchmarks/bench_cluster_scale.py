"""Clustering at library scale on real embeddings: 100,000 faces in < 60 s and < 2 GB, and the
scale (graph) mode against exact average linkage on a 10,000-face sample.

    .venv/bin/python -m benchmarks.bench_cluster_scale [--lfw DIR] [--margin 0.1] [--faces 100000]
        [--noise 0.6] [--sample 10000] [--json OUT] [--synthetic N]

Faces: the LFW embeddings of ``bench_clustering.py`` (people with >= 2 images, real pipeline,
cached) plus perturbed copies as new "photos" of the same people until ``--faces``: each copy is
an original + Gaussian noise of norm ``--noise`` (0.6: squared distance ~0.28 to the original, two
copies of one photo ~0.5 apart: inside one person's spread of LFW photos), re-normalised. Clustering runs
``cluster_faces`` at the "normal" threshold (``GroupingThresholds.calibrated(t_v)``), auto mode
(graph mode above ``EXACT_MAX_FACES``), each measurement in a fresh child process (from a fork
server started before anything big is loaded) so that its peak memory (``ru_maxrss``; Linux
VmHWM too) is the clustering's own, the embeddings included.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue as queue_module
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.bench_clustering import RESULTS, load_faces, machine
from benchmarks.harness import write_json


def _maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1 << 20) if sys.platform == "darwin" else rss / 1024


def _hwm_mib() -> float | None:
    """This process's own peak (Linux VmHWM), or None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _child(path: str, threshold: float, mode: str, queue: mp.Queue) -> None:
    """Fresh process: load the embeddings, cluster, report time, peak memory and labels."""
    from core.clustering.agglomerative import cluster_faces

    base = _maxrss_mib()
    x = np.load(path)
    t0 = time.perf_counter()
    result = cluster_faces(x, threshold, mode=mode)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    out = Path(path).with_suffix(f".{mode}.labels.npy")
    np.save(out, result.labels)
    queue.put({"seconds": seconds, "peak_mib": _maxrss_mib(), "vm_hwm_mib": _hwm_mib(), "interpreter_mib": base,
               "mode": result.mode,
               "n_clusters": result.n_clusters, "labels": str(out)})


def measure(x: np.ndarray, threshold: float, mode: str, folder: Path) -> tuple[dict, np.ndarray]:
    path = folder / f"x{len(x)}.npy"
    np.save(path, np.ascontiguousarray(x, dtype=np.float32))
    return measure_file(path, threshold, mode)


def measure_file(path: Path, threshold: float, mode: str) -> tuple[dict, np.ndarray]:
    """:func:`measure` of the embeddings saved at ``path`` (the caller need not keep them in memory)."""
    ctx = mp.get_context("forkserver")  # started small in main(): children do not inherit our peak
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(str(path), threshold, mode, queue))
    proc.start()
    while True:  # a child killed (the OOM killer: a peak too big for this machine) says so instead of a hang
        try:
            report = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"the clustering child died (exit code {proc.exitcode}; -9: killed, "
                                   "e.g. out of memory)") from None
    proc.join()
    return report, np.load(report.pop("labels"))


def grow(x: np.ndarray, y: np.ndarray, n: int, noise: float, seed: int = 0
         ) -> tuple[np.ndarray, np.ndarray, float]:
    """``x`` plus perturbed copies (noise of norm ``noise``, re-normalised) up to ``n`` rows; also
    the mean squared distance of a copy to its original."""
    rng = np.random.default_rng(seed)
    pick = np.concatenate([np.arange(len(x)), rng.integers(0, len(x), size=max(0, n - len(x)))])[:n]
    out = x[pick].astype(np.float32, copy=True)
    extra = np.arange(len(out)) >= len(x)
    eps = rng.normal(size=(int(extra.sum()), x.shape[1])).astype(np.float32)
    eps *= noise / np.linalg.norm(eps, axis=1, keepdims=True)
    out[extra] += eps
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    moved = float(((out[extra] - x[pick[extra]]) ** 2).sum(1).mean()) if extra.any() else 0.0
    return out, y[pick], moved


def main() -> int:
    from core.clustering.presets import GroupingThresholds
    from core.evaluation.clustering import score_clustering

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw")
    ap.add_argument("--margin", type=float, default=None)
    ap.add_argument("--synthetic", type=int, default=None, metavar="N")
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--noise", type=float, default=0.6)
    ap.add_argument("--sample", type=int, default=10_000)
    ap.add_argument("--json", dest="json_out", default=str(RESULTS / "cluster-scale-lfw.json"))
    args = ap.parse_args()
    mp.set_forkserver_preload([])
    warm = mp.get_context("forkserver").Process(target=int)
    warm.start()  # the fork server starts now, before the embeddings and the model are loaded
    warm.join()
    faces = load_faces(args)
    threshold = GroupingThresholds.calibrated(faces.t_v).clustering["normal"]
    x, y, d_copy = grow(faces.embeddings, faces.labels, args.faces, args.noise)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big, labels = measure(x, threshold, "auto", folder)
        s = score_clustering(y, labels)
        rows.append({"faces": len(x), **big, "bcubed_p": s.bcubed_precision, "bcubed_r": s.bcubed_recall,
                     "bcubed_f1": s.bcubed_f1})
        rng = np.random.default_rng(1)
        pick = np.sort(rng.choice(len(x), size=min(args.sample, len(x)), replace=False))
        for mode in ("exact", "graph"):
            rep, lab = measure(x[pick], threshold, mode, folder)
            s = score_clustering(y[pick], lab)
            rows.append({"faces": len(pick), **rep, "bcubed_p": s.bcubed_precision, "bcubed_r": s.bcubed_recall,
                         "bcubed_f1": s.bcubed_f1})
    gap = abs(rows[1]["bcubed_f1"] - rows[2]["bcubed_f1"])
    print(f"{faces.source}: {len(faces.labels)} real faces + copies (noise {args.noise}, mean squared distance "
          f"to the original {d_copy:.3f}) = {len(x)}; threshold {threshold:.4f} (normal)")
    print("| faces | mode | seconds | peak MiB (ru_maxrss) | VmHWM MiB | clusters | BCubed P | BCubed R | BCubed F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        hwm = "-" if r["vm_hwm_mib"] is None else f"{r['vm_hwm_mib']:.0f}"
        print(f"| {r['faces']} | {r['mode']} | {r['seconds']:.1f} | {r['peak_mib']:.0f} | {hwm} | {r['n_clusters']} | "
              f"{r['bcubed_p']:.4f} | {r['bcubed_r']:.4f} | {r['bcubed_f1']:.4f} |")
    print(f"targets: {len(x)} faces < 60 s: {rows[0]['seconds'] < 60}; < 2 GB: {rows[0]['peak_mib'] < 2048}; "
          f"sample F1 gap {gap:.4f} <= 0.01: {gap <= 0.01}")
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "source": faces.source,
           "noise": args.noise, "threshold": threshold, "t_v": faces.t_v, "rows": rows, "sample_f1_gap": gap,
           "copy_distance": d_copy}
    if args.json_out:
        write_json(args.json_out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
