"""Nearest-face queries on an existing PostgreSQL library: HNSW against the exact scan.

``python -m benchmarks.bench_pg_queries URL [--queries 200 --exact-queries 20 --ef 40,100]``

For a library that is already loaded and indexed (``bench_pg_scale`` builds one; at 1,000,000 faces
the load and the HNSW build take over an hour on 2 cores, so the queries can be run again on it
alone). The queries are stored faces moved by noise (so none is its own nearest hit); recall@10 is
measured over the queries that also ran exactly (the exact scan is the ground truth).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from core.storage.nearest import nearest_faces
from core.storage.postgres import DatabaseLocation, mask_url, sqlalchemy_url


def _sample(session, n: int, seed: int) -> np.ndarray:  # noqa: ANN001
    rows = session.execute(text("SELECT vector::vector(512)::text FROM embeddings TABLESAMPLE SYSTEM (1) "
                                "WHERE model_id = 'facenet' LIMIT :n"), {"n": n}).scalars().all()
    x = np.array([np.fromstring(r.strip("[]"), sep=",", dtype=np.float32) for r in rows])
    rng = np.random.default_rng(seed)
    x = x + rng.normal(0, 0.6 / np.sqrt(512), x.shape).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def run(url: str, n_queries: int, n_exact: int, ef_values: list[int], seed: int = 0) -> dict:
    out: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "library": mask_url(url),
                 "loadavg_start": " ".join(f"{v:.2f}" for v in os.getloadavg())}
    # a plain engine, not open_library: the library may be at an older schema (the queries read
    # only the embeddings table), and nothing here writes
    engine = create_engine(sqlalchemy_url(DatabaseLocation(url)))
    with Session(engine) as s:
        out["faces"] = int(s.execute(text("SELECT count(*) FROM embeddings")).scalar_one())
        q = _sample(s, n_queries, seed)
        truth, times = [], []
        for v in q[:n_exact]:
            t0 = time.perf_counter()
            ids, d = nearest_faces(s, "facenet", v, 10, exact=True)
            times.append(time.perf_counter() - t0)
            truth.append((set(ids.tolist()), float(d[-1])))
        out["exact"] = {"queries": len(times), "p50_ms": 1e3 * float(np.median(times)),
                        "p99_ms": 1e3 * float(np.percentile(times, 99))}
        for ef in ef_values:
            times, hits, within = [], 0, 0
            for i, v in enumerate(q):
                t0 = time.perf_counter()
                ids, d = nearest_faces(s, "facenet", v, 10, ef_search=ef)
                times.append(time.perf_counter() - t0)
                if i < len(truth):
                    hits += len(truth[i][0] & set(ids.tolist()))
                    # many synthetic copies lie at almost the same distance: a hit no farther than
                    # the exact 10th (relative 1e-4) is as near as the one it replaced
                    within += int((d <= truth[i][1] * (1 + 1e-4)).sum())
            out[f"hnsw_ef{ef}"] = {"queries": len(q), "p50_ms": 1e3 * float(np.median(times)),
                                   "p99_ms": 1e3 * float(np.percentile(times, 99)),
                                   "recall_at_10": hits / (10 * len(truth)),
                                   "distance_recall_at_10": within / (10 * len(truth))}
    out["loadavg_end"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--exact-queries", type=int, default=20)
    ap.add_argument("--ef", default="40,100")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    res = run(args.url, args.queries, args.exact_queries, [int(e) for e in args.ef.split(",")])
    text_out = json.dumps(res, indent=1)
    if args.json:
        args.json.write_text(text_out + "\n")
    print(text_out)  # a benchmark script: its result is its output


if __name__ == "__main__":
    main()
