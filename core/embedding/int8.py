"""An int8 copy of the ONNX FaceNet (ONNX Runtime static quantization), about twice as fast on a CPU.

The import's default (:data:`DEFAULT_CONFIG`): on LFW View-2, without flip averaging, its embeddings score
98.42% (95 wrongly classified pairs of 6,000) where the float model scores 98.52% with flip averaging and
98.25% without (BENCHMARKS.md section 5). With full 8-bit weights it scored 98.33%: ONNX Runtime's u8 x s8
kernels on CPUs without VNNI (AVX2) add pairs of products in saturating int16, which 7-bit weights avoid.

Convolutions are quantized per channel (weights int8 in a 7-bit range, activations uint8, QDQ format); the
first convolution and the final linear layer stay float. Activation ranges come from a calibration
file shipped with the code (:data:`CALIBRATION_FILE`: min/max of each tensor over 96 LFW face
crops of people outside the View-2 pairs, made by ``benchmarks/calibrate_int8.py``), so building
the model needs no face data. Every build is checked against the float model on a real face and
its mirror image; a copy that drifts (cosine below :data:`MIN_COSINE`) is refused and the float
model is used instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("facenet_int8_calibration.json")
MIN_COSINE = 0.995  # int8 vs float embedding of the check face; LFW crops give 0.998-0.999
QUANT_VERSION = 3


class QuantizationError(RuntimeError):
    """The int8 model could not be built or does not match the float model."""


@dataclass(frozen=True)
class QuantConfig:
    """How the float model is quantized. ``keep_float``: parts of node names (e.g. ``/repeat_3/``) whose
    convolutions stay float besides the first convolution and the final linear layer; ``reduce_range``:
    7-bit weights (avoids the int16 saturation of u8 x s8 products on CPUs without VNNI);
    ``symmetric_activations``: int8 activations centred on 0 instead of uint8 with a zero point."""

    keep_float: tuple[str, ...] = ()
    reduce_range: bool = False
    symmetric_activations: bool = False
    qoperator: bool = False


#: What the import uses (BENCHMARKS.md section 5): every convolution but the first in int8, with 7-bit weights.
#: Full 8-bit weights lose 0.19 LFW points on a CPU without VNNI (u8 x s8 products saturate int16 there).
DEFAULT_CONFIG = QuantConfig(reduce_range=True)


def _options(model_path: Path, config: QuantConfig) -> dict:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType

    graph = onnx.load(str(model_path), load_external_data=False).graph
    convs = [n.name for n in graph.node if n.op_type == "Conv"]
    dense = [n.name for n in graph.node if n.op_type in ("Gemm", "MatMul")]
    kept = [c for c in convs if any(k in c for k in config.keep_float)]
    return {"quant_format": QuantFormat.QOperator if config.qoperator else QuantFormat.QDQ, "per_channel": True,
            "activation_type": QuantType.QInt8 if config.symmetric_activations else QuantType.QUInt8,
            "weight_type": QuantType.QInt8, "calibrate_method": CalibrationMethod.MinMax,
            "reduce_range": config.reduce_range, "op_types_to_quantize": ["Conv"],
            "nodes_to_exclude": convs[:1] + kept + dense,
            "extra_options": {"ActivationSymmetric": config.symmetric_activations}}


def build_int8(float_model: Path, target: Path, calibration_faces: Iterable[np.ndarray] | None = None,
               calibration_file: Path = CALIBRATION_FILE, config: QuantConfig | None = None) -> None:
    """Quantize ``float_model`` into ``target``. With ``calibration_faces`` (batches of network input,
    N x 3 x 160 x 160 float32) the ranges are measured and written to ``calibration_file``; without,
    they are read from it."""
    from onnxruntime.quantization import CalibrationDataReader, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Reader(CalibrationDataReader):
        def __init__(self, batches: Iterable[np.ndarray]) -> None:
            self.batches = iter(batches)

        def get_next(self) -> dict | None:
            batch = next(self.batches, None)
            return None if batch is None else {"faces": batch}

    if calibration_faces is None and not calibration_file.is_file():
        raise QuantizationError(f"calibration file missing: {calibration_file}")
    with tempfile.TemporaryDirectory(prefix="faceorg-int8-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        cache = Path(tmp) / "calibration.json"  # quantize_static rewrites its cache: never the shipped one
        if calibration_faces is None:
            shutil.copyfile(calibration_file, cache)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quant_pre_process(str(float_model), str(prepared), skip_symbolic_shape=True)
            out = Path(tmp) / "int8.onnx"
            reader = _Reader(calibration_faces) if calibration_faces is not None else None
            quantize_static(str(prepared), str(out), reader, calibration_cache_path=str(cache),
                            **_options(prepared, config or DEFAULT_CONFIG))
        if calibration_faces is not None:
            shutil.copyfile(cache, calibration_file)
        os.replace(out, target) if out.stat().st_dev == target.parent.stat().st_dev else shutil.move(out, target)


def check_int8(float_session: object, int8_session: object, faces: np.ndarray) -> float:
    """The lowest cosine between the two models' embeddings of ``faces`` (network input)."""
    a = float_session.run(None, {"faces": faces})[0]  # type: ignore[attr-defined]
    b = int8_session.run(None, {"faces": faces})[0]  # type: ignore[attr-defined]
    return float((a * b).sum(1).min())
