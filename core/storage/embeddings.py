"""Embedding vectors as little-endian float32 BLOBs, and bulk loading as a matrix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.storage.batches import chunks
from core.storage.schema import Embedding, Face
from core.storage.upsert import insert

DTYPE = np.dtype("<f4")


def pack(vec: np.ndarray) -> bytes:
    """A 1-D vector as float32 little-endian bytes."""
    array = np.asarray(vec)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D vector, got shape {array.shape}")
    return array.astype(DTYPE, copy=False).tobytes()


def unpack(blob: bytes, dim: int) -> np.ndarray:
    """The float32 vector stored in ``blob`` (checked against ``dim``)."""
    if len(blob) != dim * DTYPE.itemsize:
        raise ValueError(f"blob of {len(blob)} bytes is not a {dim}-d float32 vector")
    return np.frombuffer(blob, dtype=DTYPE).astype(np.float32)


def save_embeddings(session: Session, model_id: str,
                    items: Iterable[tuple[int, np.ndarray]]) -> int:
    """Insert or replace the ``model_id`` embedding of each ``(face_id, vector)``."""
    rows = [{"face_id": int(face_id), "model_id": model_id, "vector": pack(vec), "dim": int(np.size(vec))}
            for face_id, vec in items]
    if not rows:
        return 0
    stmt = insert(Embedding)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Embedding.model_id, Embedding.face_id],
        set_={"vector": stmt.excluded.vector, "dim": stmt.excluded.dim})
    session.execute(stmt, rows)
    return len(rows)


def load_matrix(session: Session, model_id: str, face_ids: Sequence[int] | np.ndarray | None = None,
                *, skip_ignored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All ``model_id`` embeddings (or those of ``face_ids``) as ``(ids, matrix)``.

    ``ids`` is an int64 array sorted ascending; ``matrix`` is the matching N x D float32
    array (writable). Faces without an embedding for this model are simply absent.
    ``skip_ignored`` leaves out faces the user marked as ignored.
    """
    base = select(Embedding.face_id, Embedding.vector).where(Embedding.model_id == model_id)
    if skip_ignored:
        base = base.join(Face, Face.id == Embedding.face_id).where(Face.ignored.is_(False))
    if face_ids is None:
        rows = session.execute(base.order_by(Embedding.model_id, Embedding.face_id)).all()
    else:
        wanted = np.unique(np.asarray(face_ids, dtype=np.int64))
        rows = []
        for chunk in chunks(int(i) for i in wanted):
            rows.extend(session.execute(base.where(Embedding.face_id.in_(chunk))).all())
        rows.sort(key=lambda row: row[0])
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    if not rows:
        return ids, np.zeros((0, 0), dtype=np.float32)
    buffer = bytearray().join(row[1] for row in rows)
    n_values, rest = divmod(len(buffer), DTYPE.itemsize * len(rows))
    if rest or any(len(row[1]) != len(rows[0][1]) for row in rows):
        raise ValueError(f"embeddings of model {model_id!r} do not all have the same dimension")
    matrix = np.frombuffer(buffer, dtype=DTYPE).reshape(len(rows), n_values)
    return ids, matrix if DTYPE == np.float32 else matrix.astype(np.float32)
