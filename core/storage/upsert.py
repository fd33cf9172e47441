"""``INSERT … ON CONFLICT`` for both backends.

SQLAlchemy's PostgreSQL ``insert`` (``on_conflict_do_update`` / ``on_conflict_do_nothing``
with ``index_elements``) compiles on SQLite too, to the same SQL the SQLite ``insert`` gives;
the SQLite one does not compile on PostgreSQL. Library code imports ``insert`` from here.
"""

from sqlalchemy.dialects.postgresql import insert

__all__ = ["insert"]
