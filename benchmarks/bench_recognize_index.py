"""Recognition after a naming on PostgreSQL: the gallery read whole (exact) against the gallery faces
the HNSW index finds near the batch (``plan_for_people(use_index=...)``), at a few gallery / batch sizes.

Synthetic people (unit vectors around a random centre per person, same-person squared L2 about
0.6, as FaceNet's), a bundled PostgreSQL (pgserver) in a temporary folder. Prints one JSON line per
case: seconds for each path (median of ``--repeat``), gallery vectors read, and whether the two
paths decided alike.

    flock /work/bench.lock python -m benchmarks.bench_recognize_index --gallery 2000 20000 --batch 50 500
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np


def _people(rng: np.random.Generator, n_people: int, per: int, dim: int = 512) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.standard_normal((n_people, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_people), per)
    x = centres[labels] + 0.029 * rng.standard_normal((len(labels), dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), labels


def _fill(url: str, gallery: int, batch: int, seed: int = 0) -> tuple[list[int], int]:
    from sqlalchemy import insert, text

    from core.storage.embeddings import save_embeddings
    from core.storage.engine import open_library
    from core.storage.schema import Assignment, Face, Person, Photo
    from core.storage.vector_column import NN_DIM

    rng = np.random.default_rng(seed)
    per = 10
    n_people = max(2, (gallery + batch) // per + 1)
    x, labels = _people(rng, n_people, per)
    order = rng.permutation(len(x))[:gallery + batch]
    x, labels = x[order], labels[order]
    with open_library(url) as lib, lib.session() as s:
        s.execute(text("DROP INDEX ix_embeddings_hnsw"))  # built once at the end: much faster than row by row
        photo_ids = s.scalars(insert(Photo).returning(Photo.id, sort_by_parameter_order=True),
                              [{"path": f"/p/{i}.jpg", "size": 1, "mtime": 0.0, "status": "done", "face_count": 1}
                               for i in range(len(x))]).all()
        face_ids = s.scalars(insert(Face).returning(Face.id, sort_by_parameter_order=True),
                             [{"photo_id": p, "x": 0.0, "y": 0.0, "w": 50.0, "h": 50.0, "score": 0.99}
                              for p in photo_ids]).all()
        save_embeddings(s, "bench", list(zip(face_ids, x, strict=True)))
        person_ids = s.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True),
                               [{"name": f"P{i}", "name_key": f"p{i}"} for i in range(n_people)]).all()
        s.execute(insert(Assignment), [{"face_id": f, "person_id": person_ids[int(lab)], "source": "user"}
                                       for f, lab in zip(face_ids[:gallery], labels[:gallery], strict=True)])
        s.execute(text(f"CREATE INDEX ix_embeddings_hnsw ON embeddings USING hnsw ((vector::vector({NN_DIM})) "
                       f"vector_l2_ops) WITH (m = 32, ef_construction = 200) WHERE dim = {NN_DIM}"))
    return list(person_ids), gallery


def _time(fn, repeat: int) -> tuple[float, object]:  # noqa: ANN001
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gallery", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--batch", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pgserver
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from core.library.recognize_named import plan_for_people
    from core.storage.engine import open_library

    folder = tempfile.mkdtemp(prefix="faceorg-bench-pg-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    admin = create_engine(server.get_uri(), isolation_level="AUTOCOMMIT")
    try:
        for g in args.gallery:
            for b in args.batch:
                name = f"bench_{g}_{b}"
                with admin.connect() as conn:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                    conn.exec_driver_sql(f"CREATE DATABASE {name}")
                url = make_url(server.get_uri()).set(database=name).render_as_string(hide_password=False)
                people, _ = _fill(url, g, b)
                with open_library(url, read_only=True) as lib, lib.session() as s:
                    def plan(use_index: bool, s=s, people=people):  # noqa: ANN001, ANN202
                        return plan_for_people(s, people, model_id="bench", use_index=use_index)

                    t_exact, exact = _time(lambda: plan(False), args.repeat)
                    t_index, indexed = _time(lambda: plan(True), args.repeat)
                same = (exact.face_ids.tolist() == indexed.face_ids.tolist()  # type: ignore[attr-defined]
                        and exact.rec.decision.tolist() == indexed.rec.decision.tolist())  # type: ignore[attr-defined]
                print(json.dumps({"gallery": g, "batch": b, "exact_s": round(t_exact, 4),
                                  "index_s": round(t_index, 4), "same_decisions": same,
                                  "decided": int(len(exact.face_ids))}), flush=True)  # type: ignore[attr-defined]
    finally:
        admin.dispose()
        server.cleanup()


if __name__ == "__main__":
    main()
