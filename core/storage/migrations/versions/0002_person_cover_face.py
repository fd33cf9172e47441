"""Person.cover_face_id: the face the user picked to show for a person.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _recreate() -> Literal["always", "auto"]:
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    # A foreign key on SQLite needs a table copy: batch mode (run with foreign keys off).
    # PostgreSQL alters the table in place.
    with op.batch_alter_table("persons", recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column("cover_face_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_persons_cover_face_id_faces", "faces", ["cover_face_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_persons_cover_face_id", ["cover_face_id"])


def downgrade() -> None:
    with op.batch_alter_table("persons", recreate=_recreate()) as batch_op:
        batch_op.drop_index("ix_persons_cover_face_id")
        batch_op.drop_constraint("fk_persons_cover_face_id_faces", type_="foreignkey")
        batch_op.drop_column("cover_face_id")
