"""A library in PostgreSQL + pgvector at scale: nearest-face queries through the HNSW index
against the exact scan (p50/p99, recall@10), index build time, table size, and how they grow.

    .venv/bin/python -m benchmarks.bench_pg_scale [--sizes 10000,100000,1000000] [--lfw-images 1000]
        [--synthetic N] [--queries 200] [--exact-queries 20] [--cluster-max 1000000]
        [--maintenance-work-mem 5GB] [--parallel-workers 1] [--lock /work/bench.lock] [--json OUT]

Faces: real LFW embeddings (the first ``--lfw-images`` images of people with >= 2 images, the
real pipeline, cached) grown to each size with perturbed copies exactly as
``bench_cluster_scale.grow`` makes them (``--synthetic N``: the synthetic generator instead).
Each size goes into a fresh database of a pgserver (PostgreSQL 16, pgvector 0.6) started in a
temporary folder, through the library's own migrations; rows are bulk-loaded with binary COPY
(pgvector's binary form, built with NumPy) and the HNSW index (the library's: m=32,
ef_construction=200, L2) is built after the load, with ``maintenance_work_mem`` large enough for
the graph and ``--parallel-workers`` (pgvector >= 0.6 builds HNSW in parallel). Queries are
held-out perturbed copies (not stored); "exact" is the same SQL with the index scan off, timed
over the first ``--exact-queries``; recall@10 is against the true neighbours from NumPy, for all
queries. Clustering (kNN-graph linkage, ``cluster_faces`` auto mode) runs on the matrix read back
from PostgreSQL through ``load_matrix``, in a fresh child process (bench_cluster_scale.measure),
up to ``--cluster-max`` faces. ``--lock FILE``: the timed parts (queries, clustering) run holding
an exclusive flock on FILE, so that timing runs of a shared machine do not overlap. Each size's
row is written to the JSON as soon as it is done, with the load average at every phase.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_cluster_scale import grow, measure, measure_file
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


def loadavg() -> str:
    """The 1/5/15-minute load average (``uptime``), or "-" where there is none."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "-"


_POSTMASTER: list[int] = []  # the server's postmaster pid, once started


def _tree(roots: list[int]) -> list[int]:
    """``roots`` and all their descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def renice(value: int) -> None:
    """Set the niceness of this process, its children (the fork server) and the PostgreSQL server."""
    for pid in _tree([os.getpid(), *_POSTMASTER]):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, value)


@contextlib.contextmanager
def held(lock: str | None) -> Iterator[float]:
    """An exclusive flock on ``lock`` (if given) while the block runs, at normal priority (the
    builds run under ``nice -n 19`` on a shared machine; the timed parts not); yields the seconds
    waited for the lock."""
    if not lock:
        yield 0.0
        return
    t0 = time.perf_counter()
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        waited = time.perf_counter() - t0
        renice(0)
        try:
            yield waited
        finally:
            renice(nice)
            fcntl.flock(fh, fcntl.LOCK_UN)


def copy_binary(x: np.ndarray, first_id: int, face_id_bytes: int, model: bytes = b"facenet") -> bytes:
    """Rows (face_id, model_id, vector, dim) of ``x`` in PostgreSQL's binary COPY format (no header);
    pgvector's binary vector is int16 dim, int16 0, then big-endian float4s."""
    n, d = x.shape
    dt = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("id", ">i8" if face_id_bytes == 8 else ">i4"),
                   ("l2", ">i4"), ("m", f"S{len(model)}"), ("l3", ">i4"), ("vd", ">i2"), ("vu", ">i2"),
                   ("v", ">f4", (d,)), ("l4", ">i4"), ("dim", ">i4")])
    rows = np.empty(n, dtype=dt)
    rows["nf"], rows["l1"], rows["id"] = 4, face_id_bytes, np.arange(first_id, first_id + n)
    rows["l2"], rows["m"], rows["l3"], rows["vd"], rows["vu"] = len(model), model, 4 + 4 * d, d, 0
    rows["v"], rows["l4"], rows["dim"] = x, 4, d
    return rows.tobytes()


def load(url: str, x: np.ndarray, m: int = 32, ef_construction: int = 200, work_mem: str = "5GB",
         workers: int = 1) -> dict:
    """Photos, faces and embeddings (binary COPY) into a fresh library; the HNSW index built after."""
    from core.storage.engine import open_library

    lib = open_library(url)
    raw = lib.engine.raw_connection()
    notices: list[str] = []
    driver: Any = raw.driver_connection  # psycopg's connection: the build's NOTICEs (graph spills) are kept
    driver.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
    t0 = time.perf_counter()
    try:
        cur: Any = raw.cursor()
        cur.execute("DROP INDEX ix_embeddings_hnsw")
        cur.execute("SELECT a.atttypid::regtype::text FROM pg_attribute a WHERE a.attrelid = 'embeddings'::regclass "
                    "AND a.attname = 'face_id'")
        face_id_bytes = 8 if cur.fetchone()[0] == "bigint" else 4
        cur.execute("INSERT INTO photos (id, path, size, mtime, status, face_count) SELECT g, '/p/' || g, 1, 0, "
                    "'done', 1 FROM generate_series(1, %s) g", (len(x),))
        cur.execute("INSERT INTO faces (id, photo_id, x, y, w, h, score) SELECT g, g, 0, 0, 50, 50, 0.99 "
                    "FROM generate_series(1, %s) g", (len(x),))
        with cur.copy("COPY embeddings (face_id, model_id, vector, dim) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
            for start in range(0, len(x), 20_000):
                copy.write(copy_binary(x[start:start + 20_000], start + 1, face_id_bytes))
            copy.write(b"\xff\xff")
        raw.commit()
        t_load = time.perf_counter() - t0
        cur.execute("SELECT vector FROM embeddings WHERE face_id = %s", (len(x),))  # round trip of the last row
        got = np.array(cur.fetchone()[0][1:-1].split(","), dtype=np.float32)
        assert np.array_equal(got, x[-1]), "binary COPY changed a vector"
        cur.execute(f"SET maintenance_work_mem = '{work_mem}'")
        cur.execute(f"SET max_parallel_maintenance_workers = {int(workers)}")
        load_before = loadavg()
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
            "index_mib": index_bytes / 2**20, "maintenance_work_mem": work_mem, "parallel_workers": workers,
            "build_notices": notices, "loadavg_build_start": load_before, "loadavg_build_end": loadavg()}


def true_neighbours(x: np.ndarray, q: np.ndarray, k: int = 10, block: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of ``x`` (1-based ids, L2 distances) for each query, in NumPy blocks."""
    best_i = np.zeros((len(q), 0), dtype=np.int64)
    best_d = np.zeros((len(q), 0), dtype=np.float32)
    qq = (q * q).sum(1)
    for start in range(0, len(x), block):
        xb = x[start:start + block]
        d = np.maximum(qq[:, None] + (xb * xb).sum(1)[None, :] - 2 * q @ xb.T, 0)
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        cat_i = np.concatenate([best_i, part + start], axis=1)
        cat_d = np.concatenate([best_d, np.take_along_axis(d, part, axis=1)], axis=1)
        order = np.argsort(cat_d, axis=1)[:, :k]
        best_i, best_d = np.take_along_axis(cat_i, order, axis=1), np.take_along_axis(cat_d, order, axis=1)
    return best_i + 1, np.sqrt(best_d)


def queries(url: str, q: np.ndarray, truth_ids: np.ndarray, truth_d: np.ndarray, ef_values: list[int],
            n_exact: int) -> dict:
    """Exact SQL over the first ``n_exact`` queries (checked against NumPy's ``truth``); HNSW at
    each ef_search over all of them, recall@10 against ``truth``."""
    from core.storage.engine import open_library
    from core.storage.nearest import nearest_faces

    out: dict = {"queries": len(q), "exact_queries": min(n_exact, len(q))}
    with open_library(url, read_only=True) as lib, lib.session() as s:
        times, mismatched = [], 0
        for v, t_ids, t_d in zip(q[:n_exact], truth_ids, truth_d, strict=False):
            t0 = time.perf_counter()
            ids, d = nearest_faces(s, "facenet", v, 10, exact=True)
            times.append(time.perf_counter() - t0)
            assert np.allclose(d, t_d, rtol=1e-4, atol=1e-5), "exact SQL != NumPy"
            mismatched += int(list(ids) != list(t_ids))  # ties between copies only
        out["exact"] = {"p50_ms": 1e3 * float(np.median(times)), "p99_ms": 1e3 * float(np.percentile(times, 99)),
                        "id_order_differs_from_numpy": mismatched}
        for ef in ef_values:
            times, hits, within, ratio, top1 = [], 0, 0, [], 0
            for v, t_ids, t_d in zip(q, truth_ids, truth_d, strict=True):
                t0 = time.perf_counter()
                ids, d = nearest_faces(s, "facenet", v, 10, ef_search=ef)
                times.append(time.perf_counter() - t0)
                hits += len(set(ids.tolist()) & set(t_ids.tolist()))
                # ties: many stored copies lie at almost the same distance; count a result as
                # right when it is no farther than the exact 10th (relative 1e-4)
                within += int((d <= t_d[-1] * (1 + 1e-4)).sum())
                ratio.append(float(d[-1] / t_d[-1]) if len(d) == 10 else float("inf"))
                top1 += int(len(d) > 0 and d[0] <= t_d[0] * (1 + 1e-4))
            out[f"hnsw_ef{ef}"] = {"p50_ms": 1e3 * float(np.median(times)),
                                   "p99_ms": 1e3 * float(np.percentile(times, 99)),
                                   "recall_at_10": hits / (10 * len(q)),
                                   "distance_recall_at_10": within / (10 * len(q)),
                                   "kth_distance_ratio_mean": float(np.mean(ratio)),
                                   "top1_distance_match": top1 / len(q)}
    return out


def cluster_from_db(url: str, x: np.ndarray, threshold: float, folder: Path, lock: str | None) -> dict:
    from core.storage.embeddings import load_matrix
    from core.storage.engine import open_library

    t0 = time.perf_counter()
    with open_library(url, read_only=True) as lib, lib.session() as s:
        _, matrix = load_matrix(s, "facenet")
    t_read = time.perf_counter() - t0
    assert np.array_equal(matrix, x), "the matrix read back differs from the one stored"
    del matrix
    with held(lock) as waited:
        before = loadavg()
        rep, _ = measure(x, threshold, "auto", folder)
    return {"read_matrix_s": t_read, **rep, "lock_wait_s": waited, "loadavg_start": before, "loadavg_end": loadavg()}


def cluster_only(args: argparse.Namespace, base: np.ndarray, labels: np.ndarray, source: str,
                 threshold: float) -> int:
    rows: list[dict] = []
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "source": source,
           "noise": args.noise, "threshold": threshold, "rows": rows}
    folder = Path(args.npy_dir or tempfile.mkdtemp(prefix="bench-pg-cluster-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            path = folder / f"x{n}-noise{args.noise}-lfw{args.lfw_images}.npy"
            if not path.exists():  # --npy-dir keeps each size's matrix for a rerun
                x, _, _ = grow(base, labels, n, args.noise, seed=0)
                np.save(path, x)
                del x  # the clustering child's peak is what counts; this process holds nothing big meanwhile
            with held(args.lock) as waited:
                before = loadavg()
                try:
                    rep: dict = measure_file(path, threshold, "auto")[0]
                except RuntimeError as exc:
                    rep = {"error": str(exc)}
            rows.append({"faces": n, "clustering": {**rep, "lock_wait_s": waited, "loadavg_start": before,
                                                    "loadavg_end": loadavg()}})
            print(json.dumps(rows[-1]), flush=True)
            save(args.json_out, out)
    finally:
        if not args.npy_dir:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def save(path: str | None, out: dict) -> None:
    """The results so far (after every phase: a long run leaves its finished sizes behind)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(out, indent=2))


def main() -> int:
    from core.clustering.presets import GroupingThresholds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw")
    ap.add_argument("--lfw-images", type=int, default=1000)
    ap.add_argument("--synthetic", type=int, default=None, metavar="N")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--exact-queries", type=int, default=200, help="exact SQL timed over the first N queries")
    ap.add_argument("--ef", default="40,100")
    ap.add_argument("--noise", type=float, default=0.6)
    ap.add_argument("--cluster-max", type=int, default=1_000_000)
    ap.add_argument("--hnsw-m", type=int, default=32, help="HNSW m (the library's index: 32)")
    ap.add_argument("--ef-construction", type=int, default=200, help="HNSW ef_construction (the library's: 200)")
    ap.add_argument("--maintenance-work-mem", default="5GB", help="for the index build (the graph should fit)")
    ap.add_argument("--parallel-workers", type=int, default=1, help="max_parallel_maintenance_workers")
    ap.add_argument("--lock", default=None, help="flock this file while timing queries and clustering")
    ap.add_argument("--cluster-only", action="store_true",
                    help="only the clustering of each size's faces (the same matrix, made in memory: no PostgreSQL)")
    ap.add_argument("--npy-dir", default=None, help="--cluster-only: keep (and reuse) each size's matrix here")
    ap.add_argument("--json", dest="json_out", default=str(RESULTS / "pg-scale.json"))
    args = ap.parse_args()
    mp.set_forkserver_preload([])
    warm = mp.get_context("forkserver").Process(target=int)
    warm.start()
    warm.join()
    base, labels, source = base_faces(args)
    from core.clustering.presets import LFW_VERIFICATION_THRESHOLD

    threshold = GroupingThresholds.calibrated(LFW_VERIFICATION_THRESHOLD).clustering["normal"]
    if args.cluster_only:
        return cluster_only(args, base, labels, source, threshold)
    server = PgTestServer.start()
    if server.error:
        raise SystemExit(server.error)
    if server.folder is not None:
        _POSTMASTER.append(int((server.folder / "data" / "postmaster.pid").read_text().split()[0]))
    rows: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    out = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "source": source,
           "noise": args.noise, "pid": os.getpid(), "rows": rows}
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            x, _, _ = grow(base, labels, n, args.noise, seed=0)
            q, _, _ = grow(base, labels, len(base) + args.queries, args.noise, seed=99)
            q = q[len(base):]
            truth_ids, truth_d = true_neighbours(x, q)
            url = server.create_database()
            row = {"faces": n, "hnsw_m": args.hnsw_m, "ef_construction": args.ef_construction,
                   "loadavg_start": loadavg(),
                   **load(url, x, args.hnsw_m, args.ef_construction, args.maintenance_work_mem,
                          args.parallel_workers)}
            print(json.dumps(row), flush=True)
            with held(args.lock) as waited:
                row["queries"] = {"lock_wait_s": waited, "loadavg_start": loadavg(),
                                  **queries(url, q, truth_ids, truth_d, [int(e) for e in args.ef.split(",")],
                                            args.exact_queries), "loadavg_end": loadavg()}
            print(json.dumps(row["queries"]), flush=True)
            rows.append(row)
            save(args.json_out, out)
            if n <= args.cluster_max:
                row["clustering"] = cluster_from_db(url, x, threshold, tmp, args.lock)
                print(json.dumps(row["clustering"]), flush=True)
                save(args.json_out, out)
            server.drop_database(url)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
