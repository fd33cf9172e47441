"""Issue 16: recognition of a batch of faces after naming reads, on PostgreSQL, only the gallery
faces the HNSW index finds near them, and decides exactly as the exact path (the whole gallery)
on a real small library (LFW photos, two named faces per person)."""

from __future__ import annotations

import numpy as np
import pytest
from import_support import SETTINGS, copy_photos, shared_pipeline
from sqlalchemy import select, text

from core.library import people
from core.library.importer import import_folders
from core.library.recognize_named import plan_for_people
from core.library.roots import local_path
from core.paths import lfw_default
from core.storage.embeddings import load_matrix
from core.storage.nearest import _BATCH_SQL, faces_near
from core.storage.schema import Face, Photo
from core.storage.vector_column import to_pg_text

PEOPLE, PER_PERSON, NAMED = 4, 6, 2


def _lfw_people() -> list[list]:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    out = []
    for person in sorted((root / "images").iterdir()):
        photos = sorted(person.glob("*.jpg"))
        if len(photos) >= PER_PERSON:
            out.append(photos[:PER_PERSON])
        if len(out) == PEOPLE:
            return out
    pytest.skip("LFW has too few people with enough photos")


def test_batch_recognition_through_the_index_decides_as_the_exact_path(library, backend, tmp_path):
    folder = tmp_path / "lfw"
    for photos in _lfw_people():
        copy_photos(photos, folder)
    rep = import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS)
    assert rep.photos_new == PEOPLE * PER_PERSON and not rep.errors
    model = shared_pipeline().model_id
    with library.session() as s:
        faces: dict[str, list[int]] = {}
        for face_id, path in s.execute(select(Face.id, local_path(s)).join(Photo).order_by(Face.id)):
            faces.setdefault(path.rsplit("/", 1)[1].rsplit("_", 1)[0], []).append(face_id)
        named = [people.assign_faces(s, ids[:NAMED], name).id for name, ids in sorted(faces.items())]
    with library.session() as s:
        exact = plan_for_people(s, named, use_index=False)
        indexed = plan_for_people(s, named, use_index=True)
    assert exact.named + exact.suggested >= PEOPLE  # a meaningful comparison: the faces are recognised
    assert indexed.face_ids.tolist() == exact.face_ids.tolist()
    assert indexed.rec.person.tolist() == exact.rec.person.tolist()
    assert indexed.rec.decision.tolist() == exact.rec.decision.tolist()
    np.testing.assert_allclose(indexed.rec.distance, exact.rec.distance, rtol=1e-5)

    if backend != "postgresql":
        return
    with library.session() as s:  # the batch query walks the HNSW index
        _, q = load_matrix(s, model)
        s.execute(text("SET LOCAL enable_sort = off"))
        plan = "\n".join(r[0] for r in s.execute(text("EXPLAIN " + _BATCH_SQL),
                                                 {"qs": [to_pg_text(v) for v in q[:3]], "m": model, "k": 10}))
        assert "ix_embeddings_hnsw" in plan, plan
        # a radius that holds everything: every face is found, however crowded
        assert len(faces_near(s, model, q[:2], 2.0, first_k=2)) == len(q)
