"""Nearest faces to a query vector, through the pgvector HNSW index on PostgreSQL.

``nearest_faces`` is the recognizer's k-nearest-neighbour query against the stored
embeddings of one model. On PostgreSQL, for 512-d unit vectors, it is an ``ORDER BY
vector::vector(512) <-> query LIMIT k`` that the partial HNSW index answers (approximate;
``ef_search`` trades speed for recall, ``exact=True`` forces the exact scan). Elsewhere
(SQLite, other dimensions) it is an exact NumPy scan of ``load_matrix``.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.storage.embeddings import load_matrix
from core.storage.vector_column import NN_DIM, to_pg_text

DEFAULT_EF_SEARCH = 100  # pgvector's default is 40; recall@10 0.93 at 40, 0.97 at 200 (100k, BENCHMARKS §6)


def nearest_faces(session: Session, model_id: str, query: np.ndarray, k: int = 10, *,
                  exact: bool = False, ef_search: int = DEFAULT_EF_SEARCH) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` stored faces of ``model_id`` nearest (L2) to ``query``: ``(face_ids, distances)``,
    nearest first."""
    query = np.asarray(query, dtype=np.float32).ravel()
    if session.get_bind().dialect.name == "postgresql" and query.size == NN_DIM:
        return _pg_nearest(session, model_id, query, k, exact=exact, ef_search=ef_search)
    ids, matrix = load_matrix(session, model_id)
    if not len(ids):
        return ids, np.zeros(0, dtype=np.float32)
    dist = np.linalg.norm(matrix - query, axis=1)
    order = np.lexsort((ids, dist))[:k]
    return ids[order], dist[order].astype(np.float32)


_SQL = (f"SELECT face_id, vector::vector({NN_DIM}) <-> CAST(:q AS vector({NN_DIM})) AS d FROM embeddings "
        f"WHERE model_id = :m AND dim = {NN_DIM} ORDER BY vector::vector({NN_DIM}) <-> CAST(:q AS vector({NN_DIM})) "
        "LIMIT :k")


def _plan_settings(session: Session, exact: bool, ef_search: int) -> None:
    """Exact: the index scan off (a sequential scan and a sort). Approximate: sorting off, so the
    planner takes the HNSW order even where the ``model_id`` filter would tempt it into a sort
    (pgvector 0.6 filters after the index: a library with several models sees fewer than k
    candidates of one model only when ef_search is small against the other models' share)."""
    if exact:
        session.execute(text("SET LOCAL enable_indexscan = off"))
    else:
        session.execute(text("SET LOCAL enable_sort = off"))
        session.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))


def _reset(session: Session) -> None:
    for name in ("enable_indexscan", "enable_sort", "hnsw.ef_search"):
        session.execute(text(f"RESET {name}"))


def explain_nearest(session: Session, model_id: str, query: np.ndarray, k: int = 10, *, exact: bool = False) -> str:
    """PostgreSQL's plan for :func:`nearest_faces` (to check that it uses the HNSW index)."""
    _plan_settings(session, exact, DEFAULT_EF_SEARCH)
    rows = session.execute(text("EXPLAIN " + _SQL), {"q": to_pg_text(query), "m": model_id, "k": int(k)}).all()
    _reset(session)
    return "\n".join(r[0] for r in rows)


def _pg_nearest(session: Session, model_id: str, query: np.ndarray, k: int, *, exact: bool,
                ef_search: int) -> tuple[np.ndarray, np.ndarray]:
    _plan_settings(session, exact, ef_search)
    rows = session.execute(text(_SQL), {"q": to_pg_text(query), "m": model_id, "k": int(k)}).all()
    _reset(session)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.array([r[1] for r in rows], dtype=np.float32)


MAX_EF_SEARCH = 1000  # pgvector's limit
_BATCH_SQL = (
    f"SELECT q.i, n.face_id, n.d FROM unnest(CAST(:qs AS text[])) WITH ORDINALITY AS q(v, i) "
    f"CROSS JOIN LATERAL (SELECT face_id, vector::vector({NN_DIM}) <-> CAST(q.v AS vector({NN_DIM})) AS d "
    f"FROM embeddings WHERE model_id = :m AND dim = {NN_DIM} "
    f"ORDER BY vector::vector({NN_DIM}) <-> CAST(q.v AS vector({NN_DIM})) LIMIT :k) AS n")
_WITHIN_SQL = (f"SELECT face_id FROM embeddings WHERE model_id = :m AND dim = {NN_DIM} "
               f"AND vector::vector({NN_DIM}) <-> CAST(:q AS vector({NN_DIM})) <= :r")


def faces_near(session: Session, model_id: str, queries: np.ndarray, radius: float, *, first_k: int = 64,
               chunk: int = 256, max_scans: int | None = None) -> np.ndarray | None:
    """Ids of the stored faces of ``model_id`` within L2 ``radius`` of any row of ``queries`` (and
    more: each row's nearest ones), without reading the embeddings into memory.

    PostgreSQL, 512-d: per row an HNSW k-nearest query (``k`` rows in one round trip per chunk of
    rows, a LATERAL join); a row whose ``k``-th neighbour is still within ``radius`` asks again with
    ``k`` four times larger, and past pgvector's ``ef_search`` limit of 1000 gets an exact scan for
    what lies within ``radius``. So the answer holds every face within ``radius`` as far as the
    index finds it (its recall, BENCHMARKS.md). Elsewhere: an exact NumPy scan of ``load_matrix``.
    ``max_scans``: None instead when more rows than that would need the exact scan (each reads
    every embedding in the server: the caller is better off reading what it needs at once).
    """
    q = np.asarray(queries, dtype=np.float32)
    if len(q) == 0:
        return np.zeros(0, np.int64)
    if session.get_bind().dialect.name != "postgresql" or q.shape[1] != NN_DIM:
        ids, matrix = load_matrix(session, model_id)
        hit = np.zeros(len(ids), bool)
        for lo in range(0, len(q), chunk):
            part = q[lo:lo + chunk]
            d2 = (part * part).sum(1)[:, None] + (matrix * matrix).sum(1)[None, :] - 2.0 * (part @ matrix.T)
            hit |= (d2 <= radius * radius).any(axis=0)
        return ids[hit]
    found: set[int] = set()
    todo: np.ndarray = np.arange(len(q))
    k = first_k
    while len(todo) and k <= MAX_EF_SEARCH:
        session.execute(text("SET LOCAL enable_sort = off"))
        session.execute(text(f"SET LOCAL hnsw.ef_search = {max(k, DEFAULT_EF_SEARCH)}"))
        again = []
        for lo in range(0, len(todo), chunk):
            rows = todo[lo:lo + chunk]
            got = session.execute(text(_BATCH_SQL), {"qs": [to_pg_text(q[r]) for r in rows], "m": model_id,
                                                     "k": k}).all()
            far: dict[int, float] = {}
            count: dict[int, int] = {}
            for i, face_id, d in got:
                found.add(int(face_id))
                far[i] = max(far.get(i, 0.0), float(d))
                count[i] = count.get(i, 0) + 1
            again += [int(rows[i - 1]) for i in range(1, len(rows) + 1) if count.get(i, 0) >= k and far[i] <= radius]
        todo, k = np.array(again, dtype=np.int64), k * 4
    _reset(session)
    if max_scans is not None and len(todo) > max_scans:
        return None
    if len(todo):  # still crowded past the index's limit: the exact scan (in the server) for these rows
        session.execute(text("SET LOCAL enable_indexscan = off"))
        for r in todo:
            found.update(int(f) for f in session.scalars(text(_WITHIN_SQL), {"q": to_pg_text(q[r]), "m": model_id,
                                                                             "r": float(radius)}))
        _reset(session)
    return np.array(sorted(found), dtype=np.int64)
