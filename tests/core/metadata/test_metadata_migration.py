"""Revision 0003 (names from photo metadata): an 0002 library is upgraded with its review items
kept (source "recognizer"), the new tables work, and the downgrade goes back to 0002."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, select

from core.storage.engine import alembic_config, begin_write, current_revision, open_library
from core.storage.schema import FaceMetadata, MetadataSource, ReviewItem


def test_upgrade_from_0002_and_back(tmp_path):
    path = tmp_path / "library.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.commit()
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO photos (id, path, size, mtime, status, face_count) "
                             "VALUES (1, '/p/a.jpg', 1, 1.0, 'done', 1)")
        conn.exec_driver_sql("INSERT INTO faces (id, photo_id, x, y, w, h, score) VALUES (1, 1, 0, 0, 9, 9, 1)")
        conn.exec_driver_sql("INSERT INTO persons (id, name, name_key) VALUES (1, 'Ann', 'ann')")
        conn.exec_driver_sql("INSERT INTO review_items (face_id, person_id, distance) VALUES (1, 1, 0.8)")
    engine.dispose()
    with open_library(path) as lib, lib.session() as s:
        begin_write(s)
        item = s.scalars(select(ReviewItem)).one()
        assert (item.face_id, item.source, item.distance) == (1, "recognizer", 0.8)
        s.add(FaceMetadata(face_id=1, name="Ann", origin="region"))
        s.add(MetadataSource(photo_id=1, signature="x", source="/p/a.jpg.xmp", skipped=[]))
        s.flush()
        s.expire_all()
        assert s.get(FaceMetadata, 1).created is False
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        command.downgrade(alembic_config(conn), "0002")
        conn.commit()
        assert current_revision(conn) == "0002"
        assert conn.exec_driver_sql("SELECT distance FROM review_items").scalar() == 0.8
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not tables & {"face_metadata", "metadata_sources"}
    engine.dispose()
