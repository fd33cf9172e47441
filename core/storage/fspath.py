"""File paths stored losslessly: the column type of ``Photo.path``.

A path is kept in Python as the operating system gives it: a str whose bytes that are not
UTF-8 are lone surrogates (PEP 383). Such a str cannot be encoded as UTF-8, so neither SQLite
nor PostgreSQL can store it as is. In the database each lone surrogate is written as
``ESCAPE`` (U+FDD0, a Unicode noncharacter that no real name uses) followed by its code point
in 4 hex digits, and a literal ``ESCAPE`` as two of them. Every valid UTF-8 path is stored
unchanged (so are all existing libraries'), and reading gives back the exact str, hence the
exact bytes: re-import and move detection compare the same values as for any other path.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

ESCAPE = "\ufdd0"
_TO_DB = re.compile(f"[{ESCAPE}\ud800-\udfff]")
_FROM_DB = re.compile(f"{ESCAPE}({ESCAPE}|[0-9a-f]{{4}})")


def to_db(path: str) -> str:
    """The stored form of ``path`` (itself unless it holds lone surrogates or ESCAPE)."""
    return _TO_DB.sub(lambda m: ESCAPE * 2 if m.group() == ESCAPE else f"{ESCAPE}{ord(m.group()):04x}", path)


def from_db(value: str) -> str:
    """The path a stored value stands for (inverse of :func:`to_db`)."""
    if ESCAPE not in value:
        return value
    return _FROM_DB.sub(lambda m: ESCAPE if m.group(1) == ESCAPE else chr(int(m.group(1), 16)), value)


class FsPath(TypeDecorator[str]):
    """Text holding a file path that may not be valid UTF-8 (see the module doc)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return to_db(value) if isinstance(value, str) else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return from_db(value) if isinstance(value, str) else value
