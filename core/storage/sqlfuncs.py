"""SQL functions both backends understand, compiled per dialect: scalar ``least``/``greatest``
(SQLite's two-argument ``min``/``max``, NULL when an argument is NULL, on PostgreSQL too, whose own
least/greatest skip NULLs) and one number out of a JSON array column."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class least(FunctionElement[float]):  # noqa: N801 - an SQL function name
    type = Float()
    inherit_cache = True


class greatest(FunctionElement[float]):  # noqa: N801
    type = Float()
    inherit_cache = True


class json_number(FunctionElement[float]):  # noqa: N801
    """``json_number(column, i)``: element ``i`` of the JSON array in ``column``, as a number."""

    type = Float()
    inherit_cache = True


@compiles(least)
def _least_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


def _null_if_any_null(name: str, element: Any, compiler: Any, **kw: Any) -> str:
    args = [compiler.process(c, **kw) for c in element.clauses]
    nulls = " OR ".join(f"({a}) IS NULL" for a in args)
    return f"CASE WHEN {nulls} THEN NULL ELSE {name}({', '.join(args)}) END"


@compiles(least, "postgresql")
def _least_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return _null_if_any_null("least", element, compiler, **kw)


@compiles(greatest)
def _greatest_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "postgresql")
def _greatest_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return _null_if_any_null("greatest", element, compiler, **kw)


@compiles(json_number)
def _json_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    column, index = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, '$[' || {compiler.process(index, **kw)} || ']')"


@compiles(json_number, "postgresql")
def _json_pg(element: Any, compiler: Any, **kw: Any) -> str:
    column, index = list(element.clauses)
    item = f"{compiler.process(column, **kw)} ->> CAST({compiler.process(index, **kw)} AS INTEGER)"
    return f"CAST(({item}) AS DOUBLE PRECISION)"
