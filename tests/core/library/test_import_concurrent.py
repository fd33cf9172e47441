"""A shared (PostgreSQL) library used by several processes at once: two imports of one folder
end like one import; an import while another process names and merges people loses neither."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from import_support import SETTINGS, check_consistent, copy_photos, faces_per_photo, lfw_photos, shared_pipeline
from sqlalchemy import func, select

from core.library import people
from core.library.importer import import_folders
from core.library.roots import local_path
from core.storage.embeddings import save_embeddings
from core.storage.engine import open_library
from core.storage.postgres import DatabaseLocation
from core.storage.schema import Assignment, Person, Photo

REPO = Path(__file__).resolve().parents[3]
IMPORT = f"""
import sys
from core.embedding.embedder import EmbedderSettings
from core.library.importer import ImportSettings, import_folders
from core.pipeline import FacePipeline, PipelineSettings
from core.storage.embeddings import save_embeddings
from core.storage.engine import open_library

pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8, threads=1)))
with open_library(sys.argv[1]) as library:
    print("open", flush=True)
    rep = import_folders(library, [sys.argv[2]], pipeline=pipeline, settings=ImportSettings(
        workers=1, batch_size={SETTINGS.batch_size}, commit_every={SETTINGS.commit_every}))
    print(rep.photos_new, rep.faces_new, flush=True)
"""


@pytest.fixture
def shared(library_location: str, backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer process per library (test_storage_lock)")
    open_library(library_location).close()
    return library_location


def _start(url: str, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", IMPORT, url, str(folder)], cwd=REPO, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_two_imports_of_one_folder_at_once_end_like_one_import(shared: str, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(6), folder)
    procs = [_start(shared, folder), _start(shared, folder)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    new = sorted(int(o[0].split()[-2]) for o in outs)
    assert new == [0, 6]  # one imported everything, the other waited and found it done
    location = DatabaseLocation(shared)
    counts = check_consistent(location)
    assert counts["photos"] == counts["done"] == 6

    reference = tmp_path / "reference.sqlite"  # the same folder, imported once, alone
    with open_library(reference) as lib:
        import_folders(lib, [folder], pipeline=shared_pipeline(), settings=SETTINGS)
    assert faces_per_photo(location) == faces_per_photo(reference)


@pytest.mark.slow
def test_an_import_while_another_process_names_and_merges_loses_neither(shared: str, tmp_path: Path,
                                                                        factory) -> None:
    with open_library(shared) as lib, lib.session() as s:  # faces already there, in two groups
        faces = factory.faces(s, 5)
        save_embeddings(s, "facenet", [(f, np.eye(512, dtype=np.float32)[i]) for i, f in enumerate(faces)])
        first, second = factory.cluster(s, faces[:3]), factory.cluster(s, faces[3:])
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(6), folder)
    proc = _start(shared, folder)
    try:
        assert proc.stdout.readline().strip() == "open", proc.stderr.read()[-2000:]
        with open_library(shared) as lib:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:  # wait until the import is writing
                with lib.session() as s:
                    if s.scalar(select(func.count()).select_from(Photo).where(Photo.status == "done",
                                                                             local_path(s).like(f"{folder}%"))):
                        break
                time.sleep(0.2)
            with lib.session() as s:
                ann = people.name_cluster(s, first, "Ann")
            with lib.session() as s:
                anne = people.name_cluster(s, second, "Anne")
            with lib.session() as s:
                people.merge_people(s, anne.id, ann.id)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out.split()[-2] == "6"
    counts = check_consistent(DatabaseLocation(shared))
    assert counts["done"] == 6 + 5  # the five factory photos and the six imported
    with open_library(shared, read_only=True) as lib, lib.session() as s:
        assert s.scalars(select(Person.name)).all() == ["Ann"]
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.person_id == ann.id)) == 5
