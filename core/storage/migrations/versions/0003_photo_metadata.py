"""Names from photo metadata (XMP): metadata_sources, face_metadata, review_items.source.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "metadata_sources",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("read_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name="fk_metadata_sources_photo_id_photos",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", name="pk_metadata_sources"),
    )
    op.create_table(
        "face_metadata",
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["face_id"], ["faces.id"], name="fk_face_metadata_face_id_faces",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("face_id", name="pk_face_metadata"),
    )


    with op.batch_alter_table("review_items") as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="recognizer", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch_op:
        batch_op.drop_column("source")
    op.drop_table("face_metadata")
    op.drop_table("metadata_sources")
