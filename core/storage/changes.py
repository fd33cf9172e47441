"""A cheap marker that changes when anyone (another process, another computer) writes to the
library, for views that refresh on focus or on a timer.

PostgreSQL: the rows inserted, updated and deleted in the library's tables so far, from the
server's statistics (``pg_stat_user_tables``: no table scan; other sessions' counts arrive
within about a second of their commit). SQLite: the size and modification time of the file
and its write-ahead log. A marker may also change for reasons that are not a visible change
(a statistics reset, a checkpoint): callers then just refresh once more.
"""

from __future__ import annotations

import os

from sqlalchemy import text

from core.storage.engine import Library


def change_marker(library: Library) -> tuple[int, ...]:
    """Compare two markers: different means "reload"."""
    if library.backend == "postgresql":
        with library.engine.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            row = connection.execute(text(
                "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_del), 0) "
                "FROM pg_stat_user_tables WHERE schemaname = current_schema()")).one()
            connection.rollback()
        return tuple(int(v) for v in row)
    marker: list[int] = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(f"{library.path}{suffix}")
            marker += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            marker += [0, 0]
    return tuple(marker)
