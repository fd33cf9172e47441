"""Issue 16, "Paths": photo paths relative to named library roots, each computer mapping each root
to its own folder; on both backends. Two computers are two config dirs (FACEORG_CONFIG, where a
computer keeps its mappings) and a photo folder that moves from X (computer A) to Y (computer B)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from import_support import SETTINGS, astronaut_jpeg, shared_pipeline
from PIL import Image
from skimage import data
from sqlalchemy import create_engine, select, text

from core.cli.main import main
from core.library import people, queries
from core.library.folders import photo_folders
from core.library.importer import import_folders
from core.library.roots import local_path, root_statuses, roots_of, unmapped_messages
from core.storage.engine import alembic_config, open_library
from core.storage.postgres import DatabaseLocation, is_database_url, sqlalchemy_url
from core.storage.schema import Assignment, Face, Person, Photo


def _photos(folder: Path) -> None:
    astronaut_jpeg(folder / "a.jpg")
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(data.astronaut()[:, ::-1].copy()).save(folder / "sub" / "b.jpg", quality=90)


def _computer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    monkeypatch.setenv("FACEORG_CONFIG", str(tmp_path / f"config-{name}"))


def _import(library, folder: Path):  # noqa: ANN001, ANN202
    return import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS)


def _state(library) -> list[tuple[str, str, int, str | None]]:  # noqa: ANN001
    """(local path, status, faces, person of the first face) of every photo row."""
    with library.session() as s:
        rows = s.execute(select(local_path(s), Photo.status, Photo.face_count, Photo.id).order_by(Photo.id)).all()
        named = dict(s.execute(select(Face.photo_id, Person.name).join(Assignment, Assignment.face_id == Face.id)
                               .join(Person, Person.id == Assignment.person_id)).all())
    return [(str(p), st, n, named.get(pid)) for p, st, n, pid in rows]


def test_a_shared_library_opened_where_the_photos_are_mounted_elsewhere(library_location, tmp_path, monkeypatch):
    x = tmp_path / "computer-a" / "Photos"
    _photos(x)
    _computer(monkeypatch, tmp_path, "a")
    with open_library(library_location) as lib:
        rep = _import(lib, x)
        assert (rep.photos_new, rep.faces_new) == (2, 2)
        with lib.session() as s:
            face = s.scalar(select(Face.id).join(Photo).where(Photo.path == "sub/b.jpg"))  # stored relative
            people.assign_faces(s, [face], "Ann")
            assert [(r.name, r.photos, r.here, r.how) for r in root_statuses(s)] == [("Photos", 2, str(x), "recorded")]
        before = _state(lib)
    assert [p for p, *_ in before] == [str(x / "a.jpg"), str(x / "sub" / "b.jpg")]

    # Computer B mounts the share at Y; X does not exist there.
    y = tmp_path / "computer-b" / "mnt" / "share"
    y.parent.mkdir(parents=True)
    x.rename(y)
    _computer(monkeypatch, tmp_path, "b")
    with open_library(library_location) as lib:
        with lib.session() as s:
            assert unmapped_messages(s) == [
                "root 'Photos' is not mapped on this computer: faceorg roots map Photos /path"]
            assert sorted(p.path for p in queries.photos(s)) == ["<Photos>/a.jpg", "<Photos>/sub/b.jpg"]
        # An import of another folder before the mapping: the unmapped root's photos are left alone.
        other = tmp_path / "computer-b" / "mnt"
        rep = _import(lib, other)
        assert (rep.photos_duplicate, rep.photos_missing) == (2, 0)  # Y's files, as copies; none "missing"
        assert rep.unmapped_roots == ["root 'Photos' is not mapped on this computer: faceorg roots map Photos /path"]
        assert [st for _, st, _, _ in _state(lib)][:2] == ["done", "done"]
    assert main(["--library", library_location, "status"]) == 0

    # Start over on B, the right way: map the root first, then import the share.
    with open_library(library_location) as lib, lib.session() as s:
        s.execute(Photo.__table__.delete().where(Photo.id > 2))
    assert main(["--library", library_location, "roots", "map", "Photos", str(y)]) == 0
    assert main(["--library", library_location, "roots", "map", "Nope", str(y)]) == 1
    with open_library(library_location) as lib:
        rep = _import(lib, y)
        assert (rep.photos_unchanged, rep.photos_new, rep.photos_missing, rep.faces_new) == (2, 0, 0, 0)
        after = _state(lib)
        assert after == [(p.replace(str(x), str(y)), *rest) for p, *rest in before]  # found, names kept
        assert all(os.path.isfile(p) for p, *_ in after)
        with lib.session() as s:
            assert unmapped_messages(s) == []
            assert [f.path for f in photo_folders(s)] == [str(y), str(y / "sub")]
            assert [p.path for p in queries.photos(s, folder=str(y / "sub"))] == [str(y / "sub" / "b.jpg")]
            assert sorted(p.path for p in queries.photos(s, folder=str(y.parent))) == [p for p, *_ in after]
            ann = s.scalar(select(Person.id).where(Person.name == "Ann"))
            assert [f.photo_path for f in queries.faces_of_person(s, ann)] == [str(y / "sub" / "b.jpg")]

    # Computer A still finds them at X (its recorded folder), once the share is back there.
    y.rename(x)
    _computer(monkeypatch, tmp_path, "a")
    with open_library(library_location) as lib:
        assert _state(lib) == before


def _engine(location: str):  # noqa: ANN202
    if is_database_url(location):
        return create_engine(sqlalchemy_url(DatabaseLocation(location)))
    return create_engine(f"sqlite:///{location}")


def test_migration_moves_absolute_paths_into_roots_and_keeps_every_photo(library_location, tmp_path):
    pics = tmp_path / "home" / "Pictures"
    _photos(pics)
    files = [pics / "a.jpg", pics / "sub" / "b.jpg"]
    old = [str(f) for f in files] + ["/mnt/nas/photos/2020/c.jpg", "/mnt/nas/photos/d.jpg", "/e.jpg"]
    engine = _engine(library_location)
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.commit()
    with engine.begin() as conn:
        for i, path in enumerate(old, 1):
            st = os.stat(path) if os.path.exists(path) else None
            conn.execute(text("INSERT INTO photos (id, path, size, mtime, status, face_count) "
                              "VALUES (:i, :p, :s, :m, 'done', 0)"),
                         {"i": i, "p": path, "s": st.st_size if st else 1, "m": st.st_mtime if st else 0.0})
    engine.dispose()

    with open_library(library_location) as lib:
        with lib.session() as s:
            roots = {r.name: r.recorded for r in root_statuses(s)}
            assert roots == {"root": "/", "photos": "/mnt/nas/photos", "Pictures": str(pics)}
            stored = s.execute(select(Photo.id, Photo.root_id, Photo.path).order_by(Photo.id)).all()
            assert [p for _, _, p in stored] == ["a.jpg", "sub/b.jpg", "2020/c.jpg", "d.jpg", "e.jpg"]
            local = roots_of(s).local
            here = [local(r, p) for _, r, p in stored]
            assert here[:2] == old[:2]  # the roots on this computer: found where they were
            assert here[2:4] == ["<photos>/2020/c.jpg", "<photos>/d.jpg"]  # /mnt/nas/photos is not here
        rep = _import(lib, pics)  # the same files again: nothing new, nothing duplicated
        assert (rep.photos_unchanged, rep.photos_new, rep.photos_missing) == (2, 0, 0)
        with lib.session() as s:
            assert s.scalar(select(Photo.id).where(Photo.id > 5)) is None

    engine = _engine(library_location)  # and back: revision 0003's absolute paths
    with engine.connect() as conn:
        command.downgrade(alembic_config(conn), "0003")
        conn.commit()
        assert [p for (p,) in conn.execute(text("SELECT path FROM photos ORDER BY id"))] == old
    engine.dispose()


def test_split_into_roots_groups_by_top_folder() -> None:
    import importlib

    split = importlib.import_module("core.storage.migrations.versions.0004_library_roots").split_into_roots
    roots, where = split({1: "/home/u/Pictures/a.jpg", 2: "/home/u/Pictures/2020/b.jpg", 3: "/media/usb/c.jpg",
                          4: "C:\\Users\\u\\Pictures\\d.jpg", 5: "D:\\e.jpg", 6: "relative.jpg",
                          7: "/home/v/Pictures/f.jpg"})
    assert roots == [("home", "/home"), ("usb", "/media/usb"), ("Pictures", "C:\\Users\\u\\Pictures"), ("D", "D:\\")]
    assert where[2][1] == "u/Pictures/2020/b.jpg" and where[4][1] == "d.jpg" and where[5][1] == "e.jpg"
    assert 6 not in where
