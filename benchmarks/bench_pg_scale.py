"""A library in PostgreSQL + pgvector at scale: nearest-face queries through the HNSW index
against the exact scan (p50/p99, recall@10), index build time, table size, and how they grow.

    .venv/bin/python -m benchmarks.bench_pg_scale [--sizes 10000,100000] [--lfw-images 1000]
        [--synthetic N] [--queries 200] [--cluster-max 100000] [--json OUT]

Faces: real LFW embeddings (the first ``--lfw-images`` images of people with >= 2 images, the
real pipeline, cached) grown to each size with perturbed copies exactly as
``bench_cluster_scale.grow`` makes them (``--synthetic N``: the synthetic generator instead).
Each size goes into a fresh database of a pgserver (PostgreSQL 16, pgvector 0.6) started in a
temporary folder, through the library's own migrations; rows are bulk-loaded with COPY and the
HNSW index (m=16, ef_construction=64, L2) is built after the load. Queries are held-out
perturbed copies (not stored); "exact" is the same SQL with the index scan off.
Clustering (kNN-graph linkage, ``cluster_faces`` auto mode) runs on the matrix read back from
PostgreSQL through ``load_matrix``, in a fresh child process (bench_cluster_scale.measure), up to
``--cluster-max`` faces.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.bench_cluster_scale import grow, measure
from benchmarks.bench_clustering import RESULTS, lfw_people_paths, machine
from tests.pg_support import PgTestServer  # the tests' pgserver wrapper


def base_faces(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    if args.synthetic:
        from core.evaluation.synthetic import synthetic_faces

        data = synthetic_faces(args.synthetic, seed=0)
        return data.embeddings.astype(np.float32), data.labels, f"synthetic({args.synthetic})"
    from core.evaluation.lfw_run import cached_embed_lfw
    from core.paths import lfw_default

    root = Path(args.lfw) if args.lfw else lfw_default()
    if root is None:
        raise SystemExit("LFW not found: pass --lfw DIR (or set FACEORG_LFW), or --synthetic N")
    paths = lfw_people_paths(root)[: args.lfw_images]
    emb = cached_embed_lfw(root, paths)
    names = {n: i for i, n in enumerate(sorted({p.split("/")[0] for p in paths}))}
    return emb.embeddings.astype(np.float32), np.array([names[p.split("/")[0]] for p in paths]), \
        f"LFW ({len(paths)} images, {len(names)} people)"


def load(url: str, x: np.ndarray, m: int = 16, ef_construction: int = 64) -> dict:
    """Photos, faces and embeddings by COPY into a fresh library; the HNSW index built after."""
    from core.storage.engine import open_library
    from core.storage.vector_column import to_pg_text

    lib = open_library(url)
    raw = lib.engine.raw_connection()
    t0 = time.perf_counter()
    try:
        cur = raw.cursor()
        cur.execute("DROP INDEX ix_embeddings_hnsw")
        cur.execute("INSERT INTO photos (id, path, size, mtime, status, face_count) SELECT g, '/p/' || g, 1, 0, "
                    "'done', 1 FROM generate_series(1, %s) g", (len(x),))
        cur.execute("INSERT INTO faces (id, photo_id, x, y, w, h, score) SELECT g, g, 0, 0, 50, 50, 0.99 "
                    "FROM generate_series(1, %s) g", (len(x),))
        with cur.copy("COPY embeddings (face_id, model_id, vector, dim) FROM STDIN") as copy:
            for start in range(0, len(x), 10_000):
                buf = io.StringIO()
                for i in range(start, min(start + 10_000, len(x))):
                    buf.write(f"{i + 1}\tfacenet\t{to_pg_text(x[i])}\t512\n")
                copy.write(buf.getvalue())
        raw.commit()
        t_load = time.perf_counter() - t0
        cur.execute("SET maintenance_work_mem = '2GB'")
        t1 = time.perf_counter()
        cur.execute("CREATE INDEX ix_embeddings_hnsw ON embeddings USING hnsw ((vector::vector(512)) vector_l2_ops) "
                    f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)}) WHERE dim = 512")
        raw.commit()
        t_index = time.perf_counter() - t1
        cur.execute("ANALYZE")
        raw.commit()
        cur.execute("SELECT pg_total_relation_size('embeddings'), pg_relation_size('ix_embeddings_hnsw')")
        table_bytes, index_bytes = cur.fetchone()
    finally:
        raw.close()
        lib.close()
    return {"load_s": t_load, "index_build_s": t_index, "table_mib": table_bytes / 2**20,
            "index_mib": index_bytes / 2**20}


def queries(url: str, x: np.ndarray, q: np.ndarray, ef_values: list[int]) -> dict:
    from core.storage.engine import open_library
    from core.storage.nearest import nearest_faces

    out: dict = {}
    with open_library(url, read_only=True) as lib, lib.session() as s:
        exact_ids, exact_d = [], []
        times = []
        for v in q:
            t0 = time.perf_counter()
            ids, d = nearest_faces(s, "facenet", v, 10, exact=True)
            times.append(time.perf_counter() - t0)
            exact_ids.append(ids)
            exact_d.append(d)
        out["exact"] = {"p50_ms": 1e3 * float(np.median(times)), "p99_ms": 1e3 * float(np.percentile(times, 99))}
        truth = np.argsort(((x[None, :, :] - q[:4, None, :]) ** 2).sum(-1), axis=1)[:, :10] + 1
        assert all(list(t) == list(e) for t, e in zip(truth, exact_ids[:4], strict=True)), "exact SQL != NumPy"
        for ef in ef_values:
            times, hits, within, ratio, top1 = [], 0, 0, [], 0
            for v, truth_ids, truth_d in zip(q, exact_ids, exact_d, strict=True):
                t0 = time.perf_counter()
                ids, d = nearest_faces(s, "facenet", v, 10, ef_search=ef)
                times.append(time.perf_counter() - t0)
                hits += len(set(ids.tolist()) & set(truth_ids.tolist()))
                # ties: many stored copies lie at almost the same distance; count a result as
                # right when it is no farther than the exact 10th (relative 1e-4)
                within += int((d <= truth_d[-1] * (1 + 1e-4)).sum())
                ratio.append(float(d[-1] / truth_d[-1]) if len(d) == 10 else float("inf"))
                top1 += int(len(d) > 0 and d[0] <= truth_d[0] * (1 + 1e-4))
            out[f"hnsw_ef{ef}"] = {"p50_ms": 1e3 * float(np.median(times)),
                                   "p99_ms": 1e3 * float(np.percentile(times, 99)),
                                   "recall_at_10": hits / (10 * len(q)),
                                   "distance_recall_at_10": within / (10 * len(q)),
                                   "kth_distance_ratio_mean": float(np.mean(ratio)),
                                   "top1_distance_match": top1 / len(q)}
    return out


def cluster_from_db(url: str, n: int, threshold: float, folder: Path) -> dict:
    from core.storage.embeddings import load_matrix
    from core.storage.engine import open_library

    t0 = time.perf_counter()
    with open_library(url, read_only=True) as lib, lib.session() as s:
        _, matrix = load_matrix(s, "facenet")
    t_read = time.perf_counter() - t0
    rep, _ = measure(matrix, threshold, "auto", folder)
    return {"read_matrix_s": t_read, **rep}


def main() -> int:
    from core.clustering.presets import GroupingThresholds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw")
    ap.add_argument("--lfw-images", type=int, default=1000)
    ap.add_argument("--synthetic", type=int, default=None, metavar="N")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--ef", default="40,100")
    ap.add_argument("--noise", type=float, default=0.6)
    ap.add_argument("--cluster-max", type=int, default=100_000)
    ap.add_argument("--hnsw-m", type=int, default=16, help="HNSW m (the library's index: 16)")
    ap.add_argument("--ef-construction", type=int, default=64, help="HNSW ef_construction (the library's: 64)")
    ap.add_argument("--json", dest="json_out", default=str(RESULTS / "pg-scale.json"))
    args = ap.parse_args()
    mp.set_forkserver_preload([])
    warm = mp.get_context("forkserver").Process(target=int)
    warm.start()
    warm.join()
    base, labels, source = base_faces(args)
    from core.clustering.presets import LFW_VERIFICATION_THRESHOLD

    threshold = GroupingThresholds.calibrated(LFW_VERIFICATION_THRESHOLD).clustering["normal"]
    server = PgTestServer.start()
    if server.error:
        raise SystemExit(server.error)
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            x, _, _ = grow(base, labels, n, args.noise, seed=0)
            q, _, _ = grow(base, labels, len(base) + args.queries, args.noise, seed=99)
            q = q[len(base):]
            url = server.create_database()
            row = {"faces": n, "hnsw_m": args.hnsw_m, "ef_construction": args.ef_construction,
                   **load(url, x, args.hnsw_m, args.ef_construction)}
            row["queries"] = queries(url, x, q, [int(e) for e in args.ef.split(",")])
            if n <= args.cluster_max:
                row["clustering"] = cluster_from_db(url, n, threshold, tmp)
            server.drop_database(url)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "source": source,
           "noise": args.noise, "rows": rows}
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(out, indent=2))
        print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
