"""Embedding BLOBs: packing, and loading a model's vectors as one matrix."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from core.library.people import ignore_face
from core.storage.embeddings import load_matrix, pack, save_embeddings, unpack
from core.storage.schema import Embedding


def test_pack_unpack_roundtrip_is_little_endian_float32():
    vec = np.linspace(-1, 1, 512, dtype=np.float64)
    blob = pack(vec)
    assert len(blob) == 512 * 4
    assert blob[:4] == np.array([-1.0], dtype="<f4").tobytes()  # on every platform
    out = unpack(blob, 512)
    assert out.dtype == np.float32 and np.allclose(out, vec)
    with pytest.raises(ValueError):
        unpack(blob, 511)
    with pytest.raises(ValueError):
        pack(np.zeros((2, 3)))


def test_load_matrix_all_subset_and_per_model(library, factory):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 512)).astype(np.float32)
    with library.session() as s:
        faces = factory.faces(s, 30)
        save_embeddings(s, "facenet", zip(faces, vectors, strict=True))
        save_embeddings(s, "other", [(faces[0], np.ones(8))])
        save_embeddings(s, "facenet", [(faces[1], vectors[2])])  # replace
        assert s.scalar(select(func.count()).select_from(Embedding)) == 31
    expected = vectors.copy()
    expected[1] = vectors[2]
    with library.session() as s:
        ids, matrix = load_matrix(s, "facenet")
        assert ids.tolist() == sorted(faces) and matrix.dtype == np.float32
        order = np.argsort(faces)
        np.testing.assert_array_equal(matrix, expected[order])
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)  # writable

        ids, matrix = load_matrix(s, "facenet", [faces[5], faces[3], 10_000, faces[5]])
        assert ids.tolist() == sorted([faces[5], faces[3]])
        np.testing.assert_array_equal(matrix, expected[[3, 5]])  # face ids ascend with creation

        ids, matrix = load_matrix(s, "other")
        assert ids.tolist() == [faces[0]] and matrix.shape == (1, 8)

        ids, matrix = load_matrix(s, "missing")
        assert ids.shape == (0,) and matrix.shape == (0, 0)

        ignore_face(s, faces[0])
        ids, _ = load_matrix(s, "facenet", skip_ignored=True)
        assert faces[0] not in ids.tolist() and len(ids) == 29


def test_load_matrix_refuses_mixed_dimensions(library, factory):
    with library.session() as s:
        a, b = factory.faces(s, 2)
        save_embeddings(s, "m", [(a, np.zeros(4)), (b, np.zeros(8))])
        with pytest.raises(ValueError, match="same dimension"):
            load_matrix(s, "m")
