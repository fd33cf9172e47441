"""Initial schema: photos, faces, embeddings, persons, clusters, assignments, constraints,
review items, the operation log and library settings.

On PostgreSQL (added later; no PostgreSQL library predates it, SQLite DDL is unchanged):
booleans default to ``false``/``true``, ``embeddings.vector`` is a pgvector ``vector`` (the
extension is created if missing; a non-superuser role needs it created by an administrator
first) with a partial HNSW index (L2, the distance the recognizer thresholds) on the 512-d rows.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
# m 32 / ef_construction 200: at 100k grouped faces recall@10 0.93-0.97 where pgvector's defaults (16 / 64)
# gave 0.77-0.78 (BENCHMARKS.md section 6)
HNSW_INDEX = ("CREATE INDEX ix_embeddings_hnsw ON embeddings USING hnsw ((vector::vector(512)) vector_l2_ops) "
              "WITH (m = 32, ef_construction = 200) WHERE dim = 512")


def _created_at(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(), server_default=NOW, nullable=False)


def _vector_type() -> sa.types.TypeEngine:
    from core.storage.vector_column import PgVector
    return PgVector() if op.get_context().dialect.name == "postgresql" else sa.LargeBinary()


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    FALSE, TRUE = (sa.false(), sa.true()) if postgresql else (sa.text("0"), sa.text("1"))
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=TRUE, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
    )
    op.create_index("ix_clusters_active", "clusters", ["active"])

    op.create_table(
        "library_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_library_meta"),
    )

    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _created_at(),
        sa.Column("undone", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
    )

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        _created_at("imported_at"),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("face_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'done', 'error', 'missing')", name="ck_photos_status"),
        sa.ForeignKeyConstraint(["duplicate_of"], ["photos.id"], name="fk_photos_duplicate_of_photos",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_photos"),
        sa.UniqueConstraint("path", name="uq_photos_path"),
    )
    op.create_index("ix_photos_content_hash", "photos", ["content_hash"])
    op.create_index("ix_photos_listing", "photos", ["duplicate_of", "taken_at", "path"])
    op.create_index("ix_photos_status", "photos", ["duplicate_of", "status", "path"])

    op.create_table(
        "faces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("w", sa.Float(), nullable=False),
        sa.Column("h", sa.Float(), nullable=False),
        sa.Column("landmarks", sa.JSON(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("quality_size", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("quality_sharpness", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("ignored", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("manual", sa.Boolean(), server_default=FALSE, nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name="fk_faces_photo_id_photos",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_faces"),
    )
    op.create_index("ix_faces_photo_id", "faces", ["photo_id"])

    op.create_table(
        "embeddings",
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("vector", _vector_type(), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["face_id"], ["faces.id"], name="fk_embeddings_face_id_faces",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "face_id", name="pk_embeddings"),
    )
    op.create_index("ix_embeddings_face_id", "embeddings", ["face_id"])
    if postgresql:
        op.execute(HNSW_INDEX)

    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=FALSE, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
        sa.UniqueConstraint("name_key", name="uq_persons_name_key"),
    )

    op.create_table(
        "assignments",
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        _created_at("updated_at"),
        sa.CheckConstraint("source IN ('user', 'recognizer', 'clusterer')", name="ck_assignments_source"),
        sa.CheckConstraint("(person_id IS NULL) <> (cluster_id IS NULL)",
                           name="ck_assignments_person_xor_cluster"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], name="fk_assignments_cluster_id_clusters",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["face_id"], ["faces.id"], name="fk_assignments_face_id_faces",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name="fk_assignments_person_id_persons"),
        sa.PrimaryKeyConstraint("face_id", name="pk_assignments"),
    )
    op.create_index("ix_assignments_cluster_id", "assignments", ["cluster_id"])
    op.create_index("ix_assignments_person_id", "assignments", ["person_id"])

    op.create_table(
        "face_constraints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("other_face_id", sa.Integer(), nullable=True),
        _created_at(),
        sa.CheckConstraint("kind IN ('not_person', 'not_cluster', 'cannot_link', 'must_link')",
                           name="ck_face_constraints_kind"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"],
                                name="fk_face_constraints_cluster_id_clusters", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["face_id"], ["faces.id"], name="fk_face_constraints_face_id_faces",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_face_id"], ["faces.id"],
                                name="fk_face_constraints_other_face_id_faces", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name="fk_face_constraints_person_id_persons",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_face_constraints"),
    )
    for column in ("cluster_id", "face_id", "other_face_id", "person_id"):
        op.create_index(f"ix_face_constraints_{column}", "face_constraints", [column])

    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["face_id"], ["faces.id"], name="fk_review_items_face_id_faces",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name="fk_review_items_person_id_persons",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_review_items"),
        sa.UniqueConstraint("face_id", "person_id", name="uq_review_items_face_id_person_id"),
    )
    op.create_index("ix_review_items_person_id", "review_items", ["person_id"])


def downgrade() -> None:
    for table in ("review_items", "face_constraints", "assignments", "persons", "embeddings", "faces",
                  "photos", "operations", "library_meta", "clusters"):
        op.drop_table(table)
