"""The PyTorch Inception-ResNet-v1 reproduces the frozen TensorFlow graph run by OpenCV DNN."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from core.alignment import standardize
from core.embedding import weights
from core.embedding.weights import convert, graph_path, load_state_dict, read_constants, tf_name_map


def _opencv_embeddings(crops: np.ndarray) -> np.ndarray:
    with graph_path() as pb:
        net = cv2.dnn.readNetFromTensorflow(str(pb))
    out = []
    for x in standardize(crops):  # the graph's flatten is fixed to batch size 1
        net.setInput(x[None])
        out.append(net.forward().reshape(-1))
    return np.stack(out)


def _torch_embeddings(model: torch.nn.Module, crops: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model(torch.from_numpy(standardize(crops))).numpy()


def test_pytorch_matches_opencv_dnn_on_real_faces(facenet, astronaut_crop, lfw_crops_or_none) -> None:
    crops = astronaut_crop[None]
    if lfw_crops_or_none is not None:
        crops = np.concatenate([crops, lfw_crops_or_none])
    ours = _torch_embeddings(facenet, crops)
    reference = _opencv_embeddings(crops)
    assert ours.shape == (len(crops), 512)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.abs(ours - reference).max() <= 1e-4


def test_batched_embedder_matches_opencv_dnn(facenet, astronaut_crop, lfw_crops_or_none) -> None:
    from core.embedding.embedder import Embedder, EmbedderSettings

    crops = astronaut_crop[None] if lfw_crops_or_none is None else np.concatenate([astronaut_crop[None],
                                                                                    lfw_crops_or_none])
    embedder = Embedder(model=facenet, settings=EmbedderSettings(flip=False, batch_size=3, device="cpu"))
    assert np.abs(embedder.embed(crops) - _opencv_embeddings(crops)).max() <= 1e-4
    flipped = Embedder(model=facenet, settings=EmbedderSettings(flip=True, device="cpu")).embed(crops)
    mirror = _opencv_embeddings(np.ascontiguousarray(crops[:, :, ::-1]))
    expected = _opencv_embeddings(crops) + mirror
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.abs(flipped - expected).max() <= 1e-4


def test_every_parameter_comes_from_the_graph() -> None:
    with graph_path() as pb:
        consts = read_constants(pb)
    mapping = tf_name_map()
    assert all(tf_name in consts for tf_name, _ in mapping.values())
    # every weight tensor of the graph is used (nothing silently dropped)
    used = {tf_name for tf_name, _ in mapping.values()}
    graph_weights = {n for n in consts if n.endswith(("/weights", "/biases", "_bn_offset"))}
    assert graph_weights <= used


def test_conversion_is_cached_with_checksum(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACEORG_CACHE", str(tmp_path))
    first = load_state_dict()
    pt = tmp_path / "models" / f"{weights.MODEL_ID}.pt"
    meta = json.loads(pt.with_suffix(".json").read_text())
    assert len(meta["sha256"]) == 64 and meta["source"].endswith("graph_final.pb")
    mtime = pt.stat().st_mtime_ns
    second = load_state_dict()  # from the cache: file untouched
    assert pt.stat().st_mtime_ns == mtime
    assert all(torch.equal(first[k], second[k]) for k in first)
    # a damaged cache file fails its checksum and is rebuilt, not loaded
    pt.write_bytes(pt.read_bytes()[:1000])
    third = load_state_dict()
    assert all(torch.equal(first[k], third[k]) for k in first)


def test_convert_rejects_a_graph_without_the_weights(tmp_path) -> None:
    from tensorboard.compat.proto import graph_pb2

    empty = tmp_path / "empty.pb"
    empty.write_bytes(graph_pb2.GraphDef().SerializeToString())
    with pytest.raises(weights.WeightsError):
        convert(empty)
