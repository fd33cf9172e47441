"""The pretrained FaceNet run by ONNX Runtime, for inference only.

The PyTorch model (:mod:`core.embedding.weights`) stays the source of truth: it is exported to ONNX
once, cached beside the converted weights with the checksum of the weights it came from, and
re-exported whenever those change. The float export matches the torch model to ~1e-7; the int8 copy
(:mod:`core.embedding.int8`, ``EmbedderSettings.int8``, the default: about twice as fast a face, LFW View-2
98.42% without flip averaging against 98.52% for float with it) stays within cosine 0.995 of it on real
faces (``tests/core/embedding/test_onnx_embedder.py``). ONNX Runtime also buys the start: an import that never
loads torch begins embedding ~2-3 s sooner. See BENCHMARKS.md §5.

Only building the cached models imports torch; running them needs just ``onnxruntime``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from core.alignment import standardize
from core.embedding.settings import PRETRAINED_MODEL_ID, EmbedderSettings, default_threads
from core.paths import cache_dir

EXPORT_VERSION = 1
OPSET = 17
CHECK_FACE = Path(__file__).with_name("check_face.jpg")  # the astronaut of scikit-image (NASA, public domain)
_export_lock = threading.Lock()
_log = logging.getLogger(__name__)


def onnx_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def _paths(kind: str) -> tuple[Path, Path, Path]:
    from core.embedding.int8 import QUANT_VERSION

    folder = cache_dir() / "models"
    # each quantization version its own file: checkouts of different versions sharing a cache do not
    # rebuild each other's model
    suffix = ".onnx" if kind == "float" else f".int8-q{QUANT_VERSION}.onnx"
    return (folder / f"{PRETRAINED_MODEL_ID}{suffix}", folder / f"{PRETRAINED_MODEL_ID}{suffix}.json",
            folder / f"{PRETRAINED_MODEL_ID}.json")


def _source_key(kind: str, weights_meta: Path) -> dict:
    """What a cached model was made from: the torch weights' checksum (as recorded by
    :mod:`core.embedding.weights`), the exporter, and for int8 the calibration file."""
    key = {"model_id": PRETRAINED_MODEL_ID, "export": EXPORT_VERSION, "opset": OPSET,
           "weights_sha256": json.loads(weights_meta.read_text()).get("sha256")}
    if kind == "int8":
        from dataclasses import asdict

        from core.embedding.int8 import CALIBRATION_FILE, DEFAULT_CONFIG, QUANT_VERSION

        key |= {"quant": QUANT_VERSION, "config": json.loads(json.dumps(asdict(DEFAULT_CONFIG))),
                "calibration_sha256": hashlib.sha256(CALIBRATION_FILE.read_bytes()).hexdigest()}
    return key


def _cached(kind: str) -> Path | None:
    model, meta_file, weights_meta = _paths(kind)
    try:
        meta = json.loads(meta_file.read_text())
        if meta.get("size") == model.stat().st_size and meta.get("source") == _source_key(kind, weights_meta):
            return model
    except (OSError, ValueError, AttributeError):
        pass
    return None


def pretrained_onnx(kind: str = "float") -> Path:
    """The ONNX file of the pretrained FaceNet, "float" (exported from the torch model) or "int8"
    (quantized from the float export, checked against it), built on first use and cached.
    Raises :class:`core.embedding.int8.QuantizationError` when the int8 copy fails its check."""
    with _export_lock:
        found = _cached(kind)
        if found is not None:
            return found
        if kind == "float":
            return _build_float()
        model, meta_file, weights_meta = _paths(kind)
        _build_int8(_cached("float") or _build_float(), model)
        meta_file.write_text(json.dumps({"source": _source_key(kind, weights_meta), "size": model.stat().st_size},
                                        indent=2))
        return model


def _build_float() -> Path:
    model, meta_file, weights_meta = _paths("float")
    export_pretrained(model)
    meta_file.write_text(json.dumps({"source": _source_key("float", weights_meta), "size": model.stat().st_size},
                                    indent=2))
    return model


def check_faces() -> np.ndarray:
    """Network input for the build check: a real face and its mirror image."""
    from PIL import Image

    from core.alignment import standardize

    with Image.open(CHECK_FACE) as img:
        face = np.asarray(img.convert("RGB"))
    return standardize(np.stack([face, face[:, ::-1]]))


def _build_int8(float_model: Path, target: Path) -> None:
    import onnxruntime as ort

    from core.embedding.int8 import MIN_COSINE, QuantizationError, build_int8, check_int8

    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".int8.tmp")
    os.close(fd)
    try:
        build_int8(float_model, Path(tmp))
        sessions = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (float_model, tmp)]
        cosine = check_int8(sessions[0], sessions[1], check_faces())
        if cosine < MIN_COSINE:
            raise QuantizationError(f"int8 FaceNet drifts from the float model (cosine {cosine:.4f})")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_pretrained(target: Path) -> None:
    """Export the torch FaceNet (L2-normalised output, any batch size) to ``target`` atomically."""
    import torch

    from core.embedding.weights import pretrained_facenet

    model = pretrained_facenet().eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(model, (torch.zeros(2, 3, 160, 160),), tmp, input_names=["faces"],
                              output_names=["embeddings"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={"faces": {0: "n"}, "embeddings": {0: "n"}})
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class OnnxEmbedder:
    """The pretrained FaceNet in ONNX Runtime, with :class:`core.embedding.embedder.Embedder`'s contract:
    160x160 RGB uint8 crops in, L2-normalised float32 embeddings out; flip averaging runs the face
    and its mirror image in one pass. Thread-safe (one run at a time, like the torch embedder)."""

    def __init__(self, settings: EmbedderSettings | None = None, model_file: str | Path | None = None) -> None:
        import onnxruntime as ort

        from core.embedding.int8 import QuantizationError

        self.settings = settings or EmbedderSettings()
        self.model_id = PRETRAINED_MODEL_ID
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.settings.threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # idle intra-op threads sleep instead of spinning: the other cores decode and detect photos
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if model_file is None:
            try:
                model_file = pretrained_onnx("int8" if self.settings.int8 else "float")
            except (QuantizationError, ImportError, OSError, ValueError) as exc:  # never stop an import for it
                _log.warning("int8 FaceNet unavailable (%s); using the float model", exc)
                model_file = pretrained_onnx("float")
        self.model_file = Path(model_file)
        self.flip = self.settings.flips(int8_model=".int8" in self.model_file.name)
        path = self.model_file
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self.session.get_inputs()[0].name
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        shape: list[Any] = self.session.get_outputs()[0].shape
        return int(shape[1]) if isinstance(shape[1], int) else 512

    def embed(self, faces: np.ndarray) -> np.ndarray:
        """faces: (N, 160, 160, 3) uint8 RGB -> (N, D) float32, L2-normalised."""
        if len(faces) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = self.settings.batch_size
        return np.concatenate([self._forward(standardize(faces[start:start + bs], self.settings.standardization))
                               for start in range(0, len(faces), bs)])

    def _forward(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        if self.flip:
            x = np.ascontiguousarray(np.concatenate([x, x[:, :, :, ::-1]]))
        with self._lock:
            emb = self.session.run(None, {self._input: x})[0]
        if self.flip:
            emb = emb[:n] + emb[n:]
            emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return emb.astype(np.float32, copy=False)
