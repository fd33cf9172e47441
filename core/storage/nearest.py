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
