"""Library roots: photo paths relative to named roots, so that several computers share a library.

Every existing photo is kept: its absolute path is split into a root and a path below it.
Photos are grouped by the first folder below the file system's root (``/home``, ``/mnt``,
``C:\\Users``); each group's root is the deepest folder all its photos share, named after
that folder (``Pictures``, then ``Pictures 2``...). The library also gets its identity
(``library_meta["library_id"]``), which each computer's root mapping is keyed by.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import re
import uuid
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
_META = sa.table("library_meta", sa.column("key", sa.String), sa.column("value", sa.JSON))


def _recreate() -> Literal["always", "auto"]:
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"


def _parts(path: str) -> tuple[str, list[str]]:
    """(separator, components): ``/a/b.jpg`` -> ("/", ["", "a", "b.jpg"])."""
    if _WINDOWS.match(path):
        return "\\", path.replace("/", "\\").split("\\")
    return "/", path.split("/")


def _common(folders: list[list[str]]) -> list[str]:
    first = folders[0]
    n = len(first)
    for other in folders[1:]:
        n = min(n, len(other))
        for i in range(n):
            if other[i] != first[i]:
                n = i
                break
    return first[:n]


def split_into_roots(paths: dict[int, str]) -> tuple[list[tuple[str, str]], dict[int, tuple[int, str]]]:
    """Roots ``[(name, folder)]`` for absolute ``paths`` {photo id: path}, and each photo's
    ``(index of its root, path below it with "/")`` (a path that is not absolute gets none).
    Stored values work as they are: the lossless-path escapes (core.storage.fspath) never
    hold a separator."""
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[int, str, list[str]]]] = {}
    for photo_id, path in paths.items():
        sep, parts = _parts(path)
        folder = parts[:-1]
        key = (sep, tuple(folder[:2]))
        groups.setdefault(key, []).append((photo_id, sep, parts))
    roots: list[tuple[str, str]] = []
    where: dict[int, tuple[int, str]] = {}
    names: set[str] = set()
    for (sep, _), members in sorted(groups.items()):
        common = _common([parts[:-1] for _, _, parts in members])
        if not common:
            continue  # not absolute paths: they stay as they are, without a root
        top = sep.join(common) if common != [""] else sep
        if sep == "\\" and len(common) == 1:
            top = common[0] + "\\"  # "C:" is the drive's current folder, "C:\\" its root
        base = next((c for c in reversed(common) if c), "").rstrip(":") or "root"
        name, n = base, 1
        while name.casefold() in names:
            n += 1
            name = f"{base} {n}"
        names.add(name.casefold())
        roots.append((name, top))
        for photo_id, _, parts in members:
            where[photo_id] = (len(roots) - 1, "/".join(parts[len(common):]))
    return roots, where


def upgrade() -> None:
    op.create_table(
        "library_roots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_roots"),
        sa.UniqueConstraint("name", name="uq_library_roots_name"),
    )
    with op.batch_alter_table("photos", recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column("root_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_photos_root_id_library_roots", "library_roots", ["root_id"], ["id"])
        batch_op.drop_constraint("uq_photos_path", type_="unique")
        batch_op.create_unique_constraint("uq_photos_root_id_path", ["root_id", "path"])

    bind = op.get_bind()
    paths = {int(i): str(p) for i, p in bind.execute(sa.text("SELECT id, path FROM photos"))}
    if paths:
        roots, where = split_into_roots(paths)
        ids = []
        for name, folder in roots:
            ids.append(bind.execute(sa.text("INSERT INTO library_roots (name, path) VALUES (:n, :p) RETURNING id"),
                                    {"n": name, "p": folder}).scalar_one())
        bind.execute(sa.text("UPDATE photos SET root_id = :r, path = :p WHERE id = :i"),
                     [{"r": ids[k], "p": rel, "i": i} for i, (k, rel) in where.items()])
    op.bulk_insert(_META, [{"key": "library_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT p.id, p.path, r.path FROM photos p JOIN library_roots r ON r.id = p.root_id"))
    updates = []
    for photo_id, rel, folder in rows:
        sep = "\\" if _WINDOWS.match(folder or "") else "/"
        base = (folder or "").rstrip("/\\")
        updates.append({"i": photo_id, "p": base + sep + rel.replace("/", sep)})
    if updates:
        bind.execute(sa.text("UPDATE photos SET path = :p WHERE id = :i"), updates)
    op.execute(_META.delete().where(_META.c.key == "library_id"))
    with op.batch_alter_table("photos", recreate=_recreate()) as batch_op:
        batch_op.drop_constraint("uq_photos_root_id_path", type_="unique")
        batch_op.drop_constraint("fk_photos_root_id_library_roots", type_="foreignkey")
        batch_op.drop_column("root_id")
        batch_op.create_unique_constraint("uq_photos_path", ["path"])
    op.drop_table("library_roots")
