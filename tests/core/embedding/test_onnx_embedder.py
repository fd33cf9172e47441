"""The ONNX Runtime embedder against the torch model (the source of truth), and the backend choice."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from core.embedding.embedder import Embedder
from core.embedding.settings import EmbedderSettings

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install onnxruntime)")

from core.embedding.backend import make_embedder, resolve_backend  # noqa: E402
from core.embedding.onnx_embedder import OnnxEmbedder, _cached, pretrained_onnx  # noqa: E402


@pytest.fixture(scope="module")
def faces(astronaut_crop: np.ndarray, lfw_crops_or_none: np.ndarray | None) -> np.ndarray:
    crops = [astronaut_crop[None]] + ([lfw_crops_or_none] if lfw_crops_or_none is not None else [])
    return np.concatenate(crops)


@pytest.fixture(scope="module")
def torch_embeddings(facenet, faces: np.ndarray) -> dict[bool, np.ndarray]:  # noqa: ANN001
    return {flip: Embedder(model=facenet, settings=EmbedderSettings(flip=flip, device="cpu")).embed(faces)
            for flip in (False, True)}


@pytest.mark.parametrize("flip", [False, True])
def test_float_onnx_model_equals_the_torch_model(faces: np.ndarray, torch_embeddings: dict, flip: bool) -> None:
    onnx = OnnxEmbedder(EmbedderSettings(flip=flip, int8=False, threads=2))
    assert onnx.model_file.name.endswith(".onnx") and ".int8" not in onnx.model_file.name
    np.testing.assert_allclose(onnx.embed(faces), torch_embeddings[flip], atol=1e-4)


@pytest.mark.parametrize("flip", [False, True])
def test_int8_model_stays_within_a_small_angle_of_the_torch_model(faces: np.ndarray, torch_embeddings: dict,
                                                                  flip: bool) -> None:
    int8 = OnnxEmbedder(EmbedderSettings(flip=flip, int8=True, threads=2))
    assert ".int8-q" in int8.model_file.name and int8.model_file.suffix == ".onnx"
    got = int8.embed(faces)
    assert got.shape == torch_embeddings[flip].shape and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * torch_embeddings[flip]).sum(1).min() > 0.995


def test_int8_keeps_same_person_pairs_closer(lfw_crops: np.ndarray) -> None:
    """LFW_SAMPLE: two photos of George W Bush (rows 2, 3) and two other people."""
    e = OnnxEmbedder(EmbedderSettings(flip=False, int8=True, threads=2)).embed(lfw_crops)
    d = ((e[:, None] - e[None]) ** 2).sum(-1)
    assert d[2, 3] < 1.153 < min(d[0, 1], d[0, 2], d[1, 3])  # 1.153: the LFW 10-fold threshold


def test_the_default_embedder_is_the_int8_model_with_7_bit_weights() -> None:
    """The import's default: the int8 copy built with DEFAULT_CONFIG (7-bit weights; the first convolution and
    any ``keep_float`` parts float); every other convolution reads int8 weights."""
    import onnx

    from core.embedding.int8 import DEFAULT_CONFIG

    assert EmbedderSettings().int8 and DEFAULT_CONFIG.reduce_range
    embedder = OnnxEmbedder(EmbedderSettings(threads=1))
    assert embedder.model_file == pretrained_onnx("int8")
    graph = onnx.load(str(embedder.model_file)).graph
    made_by = {out: node.op_type for node in graph.node for out in node.output}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    kept = [n.name for n in convs if made_by.get(n.input[1]) != "DequantizeLinear"]
    assert kept and all(k.startswith(("/conv2d_1a/", *DEFAULT_CONFIG.keep_float)) for k in kept)
    assert len(kept) == 1 + sum(n.name.startswith(DEFAULT_CONFIG.keep_float) for n in convs) < len(convs) / 3


def test_flip_averaging_by_default_with_the_float_model_only(facenet, faces: np.ndarray,  # noqa: ANN001
                                                            torch_embeddings: dict) -> None:
    assert not OnnxEmbedder(EmbedderSettings(threads=1)).flip
    assert OnnxEmbedder(EmbedderSettings(threads=1, int8=False)).flip
    assert OnnxEmbedder(EmbedderSettings(threads=1, flip=True)).flip
    torch_default = Embedder(model=facenet, settings=EmbedderSettings(device="cpu")).embed(faces[:1])
    np.testing.assert_allclose(torch_default, torch_embeddings[True][:1], atol=1e-6)


def test_backend_choice() -> None:
    assert resolve_backend(EmbedderSettings(backend="torch")) == "torch"
    assert resolve_backend(EmbedderSettings(device="cpu")) == "onnx"
    assert isinstance(make_embedder(EmbedderSettings(device="cpu", flip=False)), OnnxEmbedder)
    assert isinstance(make_embedder(EmbedderSettings(backend="torch", device="cpu")), Embedder)


def test_a_stale_export_is_not_used(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """The cached ONNX file is used only when its record names the torch weights now cached."""
    path = pretrained_onnx("float")
    meta_file = path.with_name(path.name + ".json")
    assert _cached("float") == path
    meta = json.loads(meta_file.read_text())
    stale = {**meta, "source": {**meta["source"], "weights_sha256": "0" * 64}}
    monkeypatch.setattr("core.embedding.onnx_embedder.cache_dir", lambda: tmp_path)
    (tmp_path / "models").mkdir()
    for name in (path.name, meta_file.name, "facenet-casia-20180408.json"):
        (tmp_path / "models" / name).symlink_to(path.parent / name)
    assert _cached("float") is not None
    (tmp_path / "models" / meta_file.name).unlink()
    (tmp_path / "models" / meta_file.name).write_text(json.dumps(stale))
    assert _cached("float") is None


def test_an_import_pipeline_embeds_without_loading_torch() -> None:
    """The point of the ONNX backend: a process that imports photos never imports torch."""
    code = ("import sys, numpy as np\n"
            "from core.pipeline import FacePipeline\n"
            "p = FacePipeline()\n"
            "e = p.embedder.embed(np.zeros((2, 160, 160, 3), np.uint8))\n"
            "print(type(p.embedder).__name__, e.shape, 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": os.getcwd()}, check=True).stdout.split()
    assert out == ["OnnxEmbedder", "(2,", "512)", "False"]
