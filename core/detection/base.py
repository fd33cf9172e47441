"""The detector interface: a box, five landmarks and a score per face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One detected face in the coordinates of the image passed to the detector.

    box: (x, y, w, h) in pixels. landmarks: 5x2 array, in order right eye (image left),
    left eye (image right), nose tip, right mouth corner, left mouth corner — the order
    shared by YuNet and MTCNN. score: detector confidence in [0, 1].
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float

    def scaled(self, factor: float) -> Detection:
        x, y, w, h = self.box
        return Detection((x * factor, y * factor, w * factor, h * factor),
                         self.landmarks * factor, self.score)


class Detector(Protocol):
    """Finds faces in an RGB uint8 image (H x W x 3)."""

    name: str

    def detect(self, image: np.ndarray) -> list[Detection]: ...
