"""Switching the library's model: re-embedding from photos (cancel, resume), the metric-head shortcut
from stored embeddings, switching back without recomputing, grouping on the active model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data
from sqlalchemy import select

from core.alignment import AlignSettings, crop_face
from core.embedding.embedder import Embedder, EmbedderSettings
from core.embedding.weights import MODEL_ID
from core.imaging.loader import load_image
from core.library.active_model import active_model, reembed, set_active_model, use_model
from core.library.grouping import regroup
from core.library.review import pick_model
from core.modelstore.networks import MetricHead
from core.modelstore.registry import PRETRAINED_ID, save_trained
from core.progress import Cancelled, CancelToken
from core.storage.embeddings import load_matrix, save_embeddings
from core.storage.schema import Embedding, LibraryMeta

torch.set_num_threads(1)
BOX = (170.0, 50.0, 90.0, 110.0)  # the astronaut's face
OLD = "old-model"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(settings=EmbedderSettings(flip=False, threads=1, batch_size=4))


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    """Three photo files: the astronaut, mirrored, and smaller."""
    img = data.astronaut()
    paths = [tmp_path / f"astro{i}.jpg" for i in range(3)]
    Image.fromarray(img).save(paths[0], quality=92)
    Image.fromarray(np.ascontiguousarray(img[:, ::-1])).save(paths[1], quality=92)
    Image.fromarray(img).save(paths[2], quality=80)
    return paths


@pytest.fixture
def faces(library, factory, photos) -> list[int]:
    """One face per photo, stored with random vectors of an older model that is active."""
    rng = np.random.default_rng(0)
    x, y, w, h = BOX
    boxes = [BOX, (512 - x - w, y, w, h), BOX]
    ids = []
    with library.session() as s:
        for path, box in zip(photos, boxes, strict=True):
            (face,) = factory.photo(s, 1, path=str(path))
            from core.storage.schema import Face

            row = s.get(Face, face)
            row.x, row.y, row.w, row.h = box
            ids.append(face)
        vecs = rng.normal(size=(len(ids), 512)).astype(np.float32)
        save_embeddings(s, OLD, zip(ids, vecs / np.linalg.norm(vecs, axis=1, keepdims=True), strict=True))
        s.add(LibraryMeta(key="active_model", value={"model_id": OLD, "path": None}))
    return ids


def _count(library, model_id: str) -> int:
    with library.session() as s:
        return len(s.scalars(select(Embedding.face_id).where(Embedding.model_id == model_id)).all())


def test_switch_reembed_cancel_resume_and_back(library, faces, photos, embedder, tmp_path):
    assert active_model(library).model_id == OLD
    switch = set_active_model(library, "pretrained")
    assert not switch.activated and switch.missing == 3 and switch.model_id == MODEL_ID == PRETRAINED_ID
    state = active_model(library)
    assert state.model_id == OLD and state.pending_id == MODEL_ID  # in use until re-embedded

    token = CancelToken()

    def stop_after_first(p) -> None:
        if p.done >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        reembed(library, embedder, batch_size=1, progress=stop_after_first, cancel=token)
    assert _count(library, MODEL_ID) == 1  # the first batch was written and stays
    with library.session() as s:
        assert pick_model(s) == OLD

    rep = reembed(library, embedder, batch_size=1)
    assert rep.already == 1 and rep.embedded == 2 and rep.from_stored == 0 and rep.activated
    assert active_model(library).model_id == MODEL_ID and active_model(library).pending_id is None
    with library.session() as s:
        ids, vecs = load_matrix(s, MODEL_ID)
        assert pick_model(s) == MODEL_ID
    direct = embedder.embed(crop_face(load_image(photos[0]).rgb, BOX, AlignSettings(method="crop"))[None])[0]
    assert float(vecs[ids.tolist().index(faces[0])] @ direct) > 0.999

    # a personal head (identity-initialised, slightly changed): embeddings come from the stored ones
    head = MetricHead(512, 512)
    with torch.no_grad():
        head.linear.weight.mul_(0.9).add_(0.01)
    info = save_trained(head, "tiny-head", {"base_model": MODEL_ID}, directory=tmp_path / "models")
    rep = use_model(library, info.path)
    assert rep.from_stored == 3 and rep.embedded == 3 and rep.activated
    with library.session() as s:
        hid, hvec = load_matrix(s, info.model_id)
    expected = torch.nn.functional.normalize(head(torch.from_numpy(vecs)), dim=1).detach().numpy()
    np.testing.assert_allclose(hvec, expected, atol=1e-5)
    assert regroup(library).model_id == info.model_id

    # switching back (and forth again) costs nothing: everything is stored per model
    back = use_model(library, "pretrained")
    assert back.activated and back.embedded == 0 and back.already == 3
    with library.session() as s:
        np.testing.assert_array_equal(load_matrix(s, MODEL_ID)[1], vecs)
    assert set_active_model(library, info.path).activated
    assert active_model(library).model_id == info.model_id and _count(library, OLD) == 3


def test_unreadable_photo_is_reported_and_the_rest_switches(library, faces, photos, embedder):
    photos[2].unlink()
    rep = use_model(library, "pretrained", embedder=embedder)
    assert rep.embedded == 2 and rep.failed_faces == 1 and rep.failed[0][0] == str(photos[2])
    assert rep.activated and active_model(library).model_id == MODEL_ID


def test_models_that_cannot_embed_faces_are_refused(library, faces, tmp_path):
    from core.modelstore.networks import SeedCNN

    info = save_trained(SeedCNN(), "scratch-cnn", {}, directory=tmp_path / "models")
    assert not info.usable
    with pytest.raises(ValueError, match="cannot embed"):
        set_active_model(library, info.path)
