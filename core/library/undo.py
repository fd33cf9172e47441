"""Undo and redo of user operations, from row snapshots stored in the operation log.

Each operation in ``core.library.people`` records, for every row it touches, the row as
it was before and after (``None`` = no such row). Undo writes the "before" states back,
redo the "after" states, so both are exact: a merged-away person returns with the same
id, name, flags and faces. Only ``persons``, ``clusters``, ``assignments``,
``face_constraints``, ``review_items`` and the ``ignored`` flag of ``faces`` are ever
written. Rows that refer to something deleted since (a photo removed from the library)
are skipped, or lose that optional reference. Recording a new operation discards the
redo history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Table, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from core import faults
from core.storage.batches import chunks
from core.storage.engine import begin_write
from core.storage.schema import (
    Assignment,
    Base,
    Cluster,
    Face,
    FaceConstraint,
    Operation,
    Person,
    ReviewItem,
)
from core.storage.upsert import insert

Row = dict[str, Any]
# Parents before children: upserts run in this order, deletes in reverse.
TABLES: tuple[Table, ...] = tuple(m.__table__ for m in (
    Person, Cluster, Face, Assignment, FaceConstraint, ReviewItem))
_BY_NAME = {t.name: t for t in TABLES}
_MODELS = {m.__table__.name: m for m in (Person, Cluster, Face, Assignment, FaceConstraint, ReviewItem)}
_COLUMNS = {"faces": ("id", "ignored")}  # faces: only the flag is user state; rows never inserted
_UPDATE_ONLY = {"faces"}


class UndoConflictError(RuntimeError):
    """The operation cannot be undone or redone because of a later change."""


def _pk(table: Table) -> Any:
    (column,) = table.primary_key.columns
    return column


def _columns(table: Table) -> list[Any]:
    names = _COLUMNS.get(table.name)
    return [c for c in table.columns if names is None or c.name in names]


def _to_json(row: Row) -> Row:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _from_json(table: Table, row: Row) -> Row:
    return {k: datetime.fromisoformat(v) if v is not None and isinstance(table.c[k].type, DateTime)
            else v for k, v in row.items()}


def _fetch(session: Session, table: Table, keys: Iterable[int]) -> dict[int, Row]:
    pk, found = _pk(table), {}
    for chunk in chunks(sorted(set(keys))):
        for row in session.execute(select(*_columns(table)).where(pk.in_(chunk))).mappings():
            found[row[pk.name]] = _to_json(dict(row))
    return found


class ChangeRecorder:
    """Collects before/after row states for one operation and writes it to the log."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._before: dict[tuple[str, int], Row | None] = {}

    def track(self, model: type[Base], keys: Iterable[int]) -> None:
        """Remember the current state of these rows, before the operation changes them."""
        table = model.__table__
        new = [k for k in set(keys) if (table.name, k) not in self._before]
        if not new:
            return
        self.session.flush()
        found = _fetch(self.session, table, new)
        for key in sorted(new):
            self._before[(table.name, key)] = found.get(key)

    def track_new(self, model: type[Base], keys: Iterable[int]) -> None:
        """Rows the operation has just inserted (they did not exist before)."""
        for key in keys:
            self._before.setdefault((model.__table__.name, key), None)

    def record(self, kind: str, description: str) -> Operation | None:
        """Log the operation (None, and nothing logged, when no row changed)."""
        self.session.flush()
        after: dict[tuple[str, int], Row | None] = {}
        for name in {name for name, _ in self._before}:
            keys = [k for n, k in self._before if n == name]
            found = _fetch(self.session, _BY_NAME[name], keys)
            after.update({(name, k): found.get(k) for k in keys})
        changes = [{"table": name, "key": key, "before": before, "after": after[(name, key)]}
                   for (name, key), before in self._before.items() if before != after[(name, key)]]
        if not changes:
            return None
        _expire(self.session, changes)
        self.session.execute(delete(Operation).where(Operation.undone.is_(True)))
        op = Operation(kind=kind, payload={"description": description, "changes": changes})
        self.session.add(op)
        self.session.flush()
        faults.point("undo.record")
        return op


def undo_last(session: Session) -> str | None:
    """Revert the most recent operation not yet undone; its description, or None."""
    return _step(session, undo=True)


def redo_last(session: Session) -> str | None:
    """Re-apply the operation undone most recently; its description, or None."""
    return _step(session, undo=False)


def _step(session: Session, *, undo: bool) -> str | None:
    """Undo the newest operation not undone, or redo the oldest undone one; its description."""
    begin_write(session)
    order = Operation.id.desc() if undo else Operation.id
    op = session.scalars(select(Operation).where(Operation.undone.is_(not undo)).order_by(order).limit(1)).first()
    if op is None:
        return None
    if undo:
        # Recognised faces of a person the undo removes go with them; redo brings them back.
        dropped = _automatic_of_removed_people(session, op.payload["changes"])
        _apply(session, op.payload["changes"], "before")
        op.payload = {**op.payload, "dropped": dropped}
    else:
        _apply(session, op.payload["changes"], "after")
        _restore_dropped(session, op.payload.get("dropped") or [])
        op.payload = {k: v for k, v in op.payload.items() if k != "dropped"}
    op.undone = undo
    session.flush()
    faults.point("undo.apply")
    session.expire_all()
    return str(op.payload["description"])


def peek_undo(session: Session) -> str | None:
    """What :func:`undo_last` would undo (for an "Undo ..." menu label)."""
    payload = session.scalars(select(Operation.payload).where(Operation.undone.is_(False))
                              .order_by(Operation.id.desc()).limit(1)).first()
    return None if payload is None else str(payload["description"])


def peek_redo(session: Session) -> str | None:
    """What :func:`redo_last` would redo."""
    payload = session.scalars(select(Operation.payload).where(Operation.undone.is_(True))
                              .order_by(Operation.id).limit(1)).first()
    return None if payload is None else str(payload["description"])


def _automatic_of_removed_people(session: Session, changes: list[dict[str, Any]]) -> list[Row]:
    """The automatic assignments (made by grouping since the operation) to the people the
    operation created, which undoing it removes."""
    created = [c["key"] for c in changes if c["table"] == "persons" and c["before"] is None]
    table = Assignment.__table__
    rows: list[Row] = []
    for chunk in chunks(created):
        rows += [_to_json(dict(r)) for r in session.execute(select(table).where(
            table.c.person_id.in_(chunk), table.c.source != "user")).mappings()]
    return rows


def _restore_dropped(session: Session, rows: list[Row]) -> None:
    """Put back the assignments :func:`_automatic_of_removed_people` saved, for faces that are
    still there and have not been assigned since."""
    table = Assignment.__table__
    rows = _restorable(session, table, [_from_json(table, r) for r in rows]) if rows else []
    taken: set[int] = set()
    for chunk in chunks([r["face_id"] for r in rows]):
        taken.update(session.scalars(select(table.c.face_id).where(table.c.face_id.in_(chunk))))
    fresh = [r for r in rows if r["face_id"] not in taken]
    if fresh:
        session.execute(insert(table), fresh)


def _expire(session: Session, changes: list[dict[str, Any]]) -> None:
    """Make objects the session holds for changed rows reload (Core statements changed them)."""
    for change in changes:
        obj = session.identity_map.get(identity_key(_MODELS[change["table"]], change["key"]))
        if obj is not None:
            session.expire(obj)


def _apply(session: Session, changes: list[dict[str, Any]], state: str) -> None:
    session.flush()
    targets: dict[str, list[tuple[int, Row | None]]] = {}
    for change in changes:
        row = change[state]
        table = _BY_NAME[change["table"]]
        targets.setdefault(table.name, []).append(
            (change["key"], None if row is None else _from_json(table, row)))
    for table in TABLES:
        rows = [row for _, row in targets.get(table.name, []) if row is not None]
        if rows:
            _upsert(session, table, _restorable(session, table, rows))
    for table in reversed(TABLES):
        keys = [key for key, row in targets.get(table.name, []) if row is None]
        for chunk in chunks(keys):
            if table.name == "persons":  # automatic assignments made since the operation
                session.execute(delete(Assignment.__table__).where(
                    Assignment.__table__.c.person_id.in_(chunk)))
            session.execute(delete(table).where(_pk(table).in_(chunk)))


def _restorable(session: Session, table: Table, rows: list[Row]) -> list[Row]:
    """Drop rows whose required references are gone; clear optional ones."""
    for fk in table.foreign_keys:
        column = fk.parent
        if column.name not in rows[0]:
            continue
        values = {row[column.name] for row in rows if row[column.name] is not None}
        target = _pk(fk.column.table)
        existing: set[int] = set()
        for chunk in chunks(sorted(values)):
            existing.update(session.scalars(select(target).where(target.in_(chunk))))
        kept = []
        for row in rows:
            if row[column.name] is None or row[column.name] in existing:
                kept.append(row)
            elif column.nullable:
                kept.append({**row, column.name: None})
        rows = kept
    if table.name == "assignments":
        rows = [r for r in rows if (r["person_id"] is None) != (r["cluster_id"] is None)]
    if table.name == "persons":
        _check_names(session, rows)
    return rows


def _check_names(session: Session, rows: list[Row]) -> None:
    for row in rows:
        other = session.scalars(select(Person.__table__.c.id).where(
            Person.__table__.c.name_key == row["name_key"], Person.__table__.c.id != row["id"])).first()
        if other is not None:
            raise UndoConflictError(f'Another person is now called "{row["name"]}"; rename them first')


def _upsert(session: Session, table: Table, rows: list[Row]) -> None:
    if not rows:
        return
    pk = _pk(table)
    if table.name in _UPDATE_ONLY:
        for row in rows:
            values = {k: v for k, v in row.items() if k != pk.name}
            session.execute(update(table).where(pk == row[pk.name]).values(**values))
        return
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[pk], set_={c.name: stmt.excluded[c.name] for c in table.columns if c is not pk})
    session.execute(stmt, rows)
