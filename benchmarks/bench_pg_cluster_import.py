"""Import throughput: the local importer against the Ray Data import (``--cluster``) on a local
Ray with 1 and 2 CPUs (the scaling ratio), on the same LFW photos.

    .venv/bin/python -m benchmarks.bench_pg_cluster_import [--photos 48] [--json OUT]
    .venv/bin/python -m benchmarks.bench_pg_cluster_import --writer [--photos 48] [--copies 20] [--json OUT]

Each run is a fresh child process (Ray starts once per process) importing the same folder into
a fresh SQLite library, grouping off; one torch thread per embedder. Reported: wall time of the
import call (Ray's start excluded and shown apart; the actors' model loading included), photos/s,
faces/s; and the steady rate after the first photo reached the writer (``steady_photos_per_s``:
the per-worker throughput without the fixed cost of starting workers and loading models,
``first_photo_s``). Ray runs: ``ActorPoolStrategy(size=1)`` embedding actor at 0.5 CPU; decode+detect tasks
sized so that N of them run at once beside the actor on an N-CPU Ray (0.5 CPU each on 1 CPU,
0.75 on 2): "N workers".

``--writer``: the single writer alone, the cluster import's limit as nodes are added. The photos
are detected and embedded once (as the Ray tasks and the embedding actor do), then ``--copies``
copies of each (new paths and content hashes, so every one is a new photo with its faces) go
through the driver's own writing loop (``_ClusterImporter.write_items``: decide, then the
importer's transactions) into a fresh SQLite library and a fresh PostgreSQL database (pgserver,
unix socket). Reported: photos and faces committed per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench_clustering import RESULTS, machine
from benchmarks.harness import write_json

REPO = Path(__file__).resolve().parents[1]


def child(mode: str, cpus: int, folder: str, library: str) -> dict:
    from core.embedding.embedder import EmbedderSettings
    from core.library.importer import ImportSettings, import_folders
    from core.pipeline import FacePipeline, PipelineSettings
    from core.progress import Progress
    from core.storage.engine import open_library

    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=16, threads=1)))
    settings = ImportSettings(workers=cpus, batch_size=16, commit_every=16)
    out: dict = {"mode": mode, "cpus": cpus}
    seen: list[tuple[float, float]] = []  # (time, photos handed to the writer so far)

    def progress(p: Progress) -> None:
        rate, eta = p.extra.get("photos_per_s", 0.0), p.extra.get("eta_s", float("nan"))
        if p.message == "importing" and rate > 0 and eta == eta:
            seen.append((time.perf_counter(), p.extra["files_total"] - eta * rate))

    if mode == "local":
        pipeline.embedder  # noqa: B018  (the model loads before the clock, as the actors' start is apart)
        t0 = time.perf_counter()
        with open_library(library) as lib:
            rep = import_folders(lib, [folder], pipeline=pipeline, settings=settings, progress=progress)
    else:
        from core.library.cluster_import import EMBED_CPUS, ClusterSettings, connect, import_folders_cluster

        t0 = time.perf_counter()
        connect("local", num_cpus=cpus, object_store_memory=300 * 2**20, include_dashboard=False,
                log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}})
        out["ray_start_s"] = time.perf_counter() - t0
        # N workers: N decode+detect tasks at once beside the embedding actor (the first version gave the
        # tasks 1 CPU each on a 2-CPU Ray, so only one ran beside the actor's 0.5: no scaling to measure)
        cluster = ClusterSettings(actors=1, detect_batch=4, embed_batch=16, detect_cpus=(cpus - EMBED_CPUS) / cpus)
        t0 = time.perf_counter()
        with open_library(library) as lib:
            rep = import_folders_cluster(lib, [folder], pipeline=pipeline, settings=settings, cluster=cluster,
                                         progress=progress)
    seconds = time.perf_counter() - t0
    assert not rep.cancelled and rep.errors == [], rep.errors
    (t_first, n_first), (t_last, n_last) = seen[0], seen[-1]
    out["first_photo_s"] = t_first - t0  # models loaded, workers started: the fixed cost
    out["steady_photos_per_s"] = (n_last - n_first) / max(t_last - t_first, 1e-9)  # after the first photo
    return {**out, "seconds": seconds, "photos": rep.photos_new, "faces": rep.faces_new,
            "photos_per_s": rep.photos_new / seconds, "faces_per_s": rep.faces_new / seconds}


def embedded_items(folder: Path) -> list[bytes]:
    """Each photo of ``folder`` hashed, decoded, detected and embedded, as the workers send it."""
    import numpy as np

    from core.embedding.embedder import EmbedderSettings
    from core.library.cluster_import import _EmbedActor
    from core.library.import_worker import prepare
    from core.library.scanner import ScanFile
    from core.pipeline import FacePipeline, PipelineSettings

    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=16, threads=1)))
    items = []
    for path in sorted(folder.iterdir()):
        st = path.stat()
        items.append(pickle.dumps(prepare(pipeline, ScanFile(str(path), st.st_size, st.st_mtime, True), None, None,
                                          frozenset())))
    actor = _EmbedActor(pickle.dumps(pipeline.settings))
    return list(actor({"item": np.array(items, dtype=object)})["item"])


def copies_of(items: list[bytes], copies: int) -> list[bytes]:
    """``copies`` copies of every item as new photos: other paths, other content hashes."""
    out = []
    for c in range(copies):
        for blob in items:
            item = pickle.loads(blob)
            path = f"/photos/copy{c:03d}/{Path(item.file.path).name}"
            item.file = dataclasses.replace(item.file, path=path)
            item.record.path = path
            item.record.content_hash = hashlib.sha256(f"{item.record.content_hash}/{c}".encode()).hexdigest()
            out.append(pickle.dumps(item))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def writer_rate(location: str, blobs: list[bytes], server_pids: Callable[[], list[int]] = list) -> dict:
    """The driver's writing loop alone over ``blobs`` into the library at ``location``; also the CPU
    seconds it took (the driver, and the database server's processes): on a shared machine the
    wall time says more about the load than about the writer, the CPU time much less so."""
    from core.embedding.embedder import EmbedderSettings
    from core.library.cluster_import import _ClusterImporter
    from core.library.import_plan import LibraryIndex
    from core.library.importer import ImportSettings
    from core.pipeline import FacePipeline, PipelineSettings
    from core.storage.engine import open_library

    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False)))  # never runs: all embedded
    with open_library(location) as lib:
        writer = _ClusterImporter(lib, pipeline, ImportSettings(), None, None)  # the CLI's batch sizes
        with lib.session() as s:
            writer.index = LibraryIndex.load(s)
        writer.base_done, writer.processing_t0, writer.remaining = 0, time.monotonic(), len(blobs)
        server0, cpu0, t0 = cpu_seconds(server_pids()), time.process_time(), time.perf_counter()
        writer.write_items(pickle.loads(b) for b in blobs)
        seconds = time.perf_counter() - t0
        cpu, server = time.process_time() - cpu0, cpu_seconds(server_pids()) - server0
        rep = writer.report
    assert rep.photos_new == len(blobs), (rep.photos_new, len(blobs))
    return {"seconds": seconds, "photos": rep.photos_new, "faces": rep.faces_new,
            "photos_per_s": rep.photos_new / seconds, "faces_per_s": rep.faces_new / seconds,
            "driver_cpu_s": cpu, "server_cpu_s": server,
            "photos_per_driver_cpu_s": rep.photos_new / cpu, "faces_per_driver_cpu_s": rep.faces_new / cpu}


def writer_main(args: argparse.Namespace, folder: Path, tmp: Path) -> dict:
    from benchmarks.bench_pg_scale import _tree, loadavg
    from tests.pg_support import PgTestServer

    blobs = copies_of(embedded_items(folder), args.copies)
    out: dict = {"loadavg_start": loadavg()}
    out["sqlite"] = writer_rate(str(tmp / "writer.sqlite"), blobs)
    print(json.dumps(out["sqlite"]), flush=True)
    server = PgTestServer.start()
    if server.error:
        out["postgresql"] = {"error": server.error}
    else:
        try:
            assert server.folder is not None
            postmaster = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
            out["postgresql"] = writer_rate(server.create_database(), blobs, lambda: _tree([postmaster]))
        finally:
            server.stop()
    print(json.dumps(out["postgresql"]), flush=True)
    out["loadavg_end"] = loadavg()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=48)
    ap.add_argument("--writer", action="store_true", help="measure the single writer alone (see above)")
    ap.add_argument("--copies", type=int, default=20, help="--writer: copies of each photo written")
    ap.add_argument("--json", dest="json_out", default=None, help="default: results/pg-cluster-import.json, "
                    "with --writer results/pg-cluster-writer.json")
    ap.add_argument("--child", nargs=4, metavar=("MODE", "CPUS", "FOLDER", "LIBRARY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, cpus, folder, library = args.child
        print(json.dumps(child(mode, int(cpus), folder, library)))
        return 0
    from core.paths import lfw_default

    root = lfw_default()
    if root is None:
        raise SystemExit("LFW not found (set FACEORG_LFW)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-import-"))
    rows = []
    try:
        folder = tmp / "photos"
        folder.mkdir()
        people = sorted((root / "images").iterdir())
        for person in people[: args.photos]:
            first = sorted(person.glob("*.jpg"))[0]
            shutil.copy2(first, folder / first.name)
        if args.writer:
            result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                      "photos": args.photos, "copies": args.copies, **writer_main(args, folder, tmp)}
            write_json(args.json_out or RESULTS / "pg-cluster-writer.json", result)
            return 0
        for i, (mode, cpus) in enumerate([("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]):
            command = [sys.executable, "-m", "benchmarks.bench_pg_cluster_import", "--child", mode, str(cpus),
                       str(folder), str(tmp / f"lib{i}.sqlite")]
            out = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
            if out.returncode != 0:
                raise SystemExit(out.stderr[-3000:])
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    by = {(r["mode"], r["cpus"]): r for r in rows}
    summary = {"ray_scaling_2_over_1": by["ray", 2]["photos_per_s"] / by["ray", 1]["photos_per_s"],
               "local_scaling_2_over_1": by["local", 2]["photos_per_s"] / by["local", 1]["photos_per_s"],
               "ray_over_local_2cpus": by["ray", 2]["photos_per_s"] / by["local", 2]["photos_per_s"]}
    print(json.dumps(summary))
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "rows": rows,
              **summary}
    write_json(args.json_out or RESULTS / "pg-cluster-import.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
