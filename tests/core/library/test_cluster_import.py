"""The Ray Data import (``faceorg import --cluster``) on a local Ray (``num_cpus=2``): the same
photos and faces as the local import, embeddings within 1e-5, and resumable after a cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from import_support import SETTINGS, astronaut_jpeg, check_consistent, copy_photos, lfw_photos, shared_pipeline
from sqlalchemy import select

from core.library.importer import import_folders
from core.library.roots import local_path
from core.progress import CancelToken, Progress
from core.storage.embeddings import load_matrix
from core.storage.engine import Library, open_library
from core.storage.schema import Face, Photo

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install '.[cluster]')")
REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    from core.library.cluster_import import connect

    # 2 CPUs, as the issue asks: the embedding actor takes half of one, the read tasks the rest
    connect("local", num_cpus=2, object_store_memory=300 * 2**20, include_dashboard=False,
            runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}}, log_to_driver=False)
    yield
    ray.shutdown()


def _faces(library: Library) -> dict[str, list[tuple]]:
    """Photo file name -> its faces (box, score) sorted, and the embeddings by the same order."""
    out: dict[str, list[tuple]] = {}
    with library.session() as s:
        ids, matrix = load_matrix(s, shared_pipeline().model_id)
        row = {int(i): k for k, i in enumerate(ids)}
        for path, fid, x, y, w, h, score in s.execute(select(local_path(s), Face.id, Face.x, Face.y, Face.w, Face.h,
                                                             Face.score).join(Face, Face.photo_id == Photo.id)):
            out.setdefault(Path(path).name, []).append(((x, y, w, h, score), matrix[row[fid]]))
    return {k: sorted(v, key=lambda t: t[0]) for k, v in out.items()}


def _cluster_import(library: Library, folder: Path, **kw):
    from core.library.cluster_import import ClusterSettings, import_folders_cluster

    return import_folders_cluster(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS,
                                  cluster=ClusterSettings(actors=1, detect_batch=2, embed_batch=4), **kw)


def test_cluster_import_stores_what_the_local_import_stores(local_ray, library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    astronaut_jpeg(folder / "astronaut.jpg")
    copy_photos(lfw_photos(5), folder / "lfw")
    (folder / "lfw" / "copy.jpg").write_bytes((folder / "astronaut.jpg").read_bytes())  # a duplicate
    rep = _cluster_import(library, folder)
    assert not rep.cancelled and rep.errors == []
    assert (rep.files_total, rep.photos_new, rep.photos_duplicate) == (7, 6, 1)
    check_consistent(library.path)

    with open_library(tmp_path / "local.sqlite") as local:
        local_rep = import_folders(local, [folder], pipeline=shared_pipeline(), settings=SETTINGS)
        expected = _faces(local)
    assert rep.faces_new == local_rep.faces_new >= 6
    got = _faces(library)
    assert got.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose([f[0] for f in got[name]], [f[0] for f in expected[name]], atol=1e-6)
        for (_, a), (_, b) in zip(got[name], expected[name], strict=True):
            assert np.max(np.abs(a - b)) < 1e-5

    again = _cluster_import(library, folder)  # nothing new: planned away on the driver
    assert (again.photos_new, again.photos_unchanged) == (0, 7)


def test_a_cancelled_cluster_import_resumes_with_nothing_lost_or_doubled(local_ray, library: Library,
                                                                        tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    copy_photos(lfw_photos(10), folder)
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.extra.get("files_done", 0) >= 6:  # after the first commit (every 4 photos)
            token.cancel()

    first = _cluster_import(library, folder, progress=progress, cancel=token)
    assert first.cancelled
    done = check_consistent(library.path)["done"]
    assert 0 < done < 10
    second = _cluster_import(library, folder)
    assert not second.cancelled and second.photos_new == 10 - done
    counts = check_consistent(library.path)
    assert counts["done"] == counts["photos"] == 10
