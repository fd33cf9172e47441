"""The embedding column's type: float32 bytes in Python on every backend; a BLOB on SQLite,
a pgvector ``vector`` on PostgreSQL (text transfer, exact for float32 both ways).

The PostgreSQL column has no fixed size, so a library can hold several models of different
dimensions; the HNSW index (migration 0001) is a partial expression index on
``vector::vector(512)`` for the 512-d rows (``NN_DIM``), which nearest-neighbour queries
name in the same form (:mod:`core.storage.nearest`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import LargeBinary
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

DTYPE = np.dtype("<f4")
NN_DIM = 512  # the dimension the HNSW index covers


class PgVector(UserDefinedType[Any]):
    """pgvector's ``vector`` (values pass as its text form)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VECTOR"


ischema_names.setdefault("vector", PgVector)  # reflection (alembic's compare_metadata)


def to_pg_text(vector: np.ndarray | bytes) -> str:
    """pgvector's text form of a float32 vector (shortest round-trip decimals: exact)."""
    array = np.frombuffer(vector, dtype=DTYPE) if isinstance(vector, bytes | bytearray | memoryview) else vector
    return "[" + ",".join(map(repr, np.asarray(array, dtype=np.float32).tolist())) + "]"


def from_pg_text(value: str) -> np.ndarray:
    return np.array(value[1:-1].split(","), dtype=np.float64).astype(np.float32)


class VectorBytes(TypeDecorator[bytes]):
    """Little-endian float32 bytes (``core.storage.embeddings.pack``) on both backends."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PgVector())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return value
        return to_pg_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None or dialect.name != "postgresql":
            return value
        return from_pg_text(value).astype(DTYPE).tobytes()
