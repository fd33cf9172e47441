"""FacePipeline: the one public entry point from a photo to faces with FaceNet embeddings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from core.alignment import AlignSettings, face_input
from core.detection import DEFAULT_DETECTOR, make_detector
from core.detection.base import Detection, Detector
from core.embedding.embedder import Embedder, EmbedderSettings
from core.imaging.loader import ImageLoadError, load_image


@dataclass
class Face:
    """One face: box (x, y, w, h) and 5x2 landmarks in original-photo pixels, detector score,
    L2-normalised float32 embedding."""

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float
    embedding: np.ndarray

    def to_json(self) -> dict:
        return {"box": [round(float(v), 2) for v in self.box],
                "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in self.landmarks],
                "score": round(float(self.score), 5),
                "embedding": [float(v) for v in self.embedding]}


@dataclass
class PhotoFaces:
    """The result for one photo file: its size, EXIF date taken and faces, or the reason it could
    not be read."""

    path: str
    width: int = 0
    height: int = 0
    faces: list[Face] = field(default_factory=list)
    error: str | None = None
    date_taken: datetime | None = None

    def to_json(self) -> dict:
        return {"path": self.path, "width": self.width, "height": self.height,
                "faces": [f.to_json() for f in self.faces], "error": self.error}


@dataclass(frozen=True)
class PipelineSettings:
    detector: str = DEFAULT_DETECTOR
    crop_max_side: int = 4096       # faces are cut from a copy at most this big
    min_face: int = 20              # px, in the original photo
    align: AlignSettings = field(default_factory=AlignSettings)
    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)


class FacePipeline:
    """Detect, align and embed. Detection may run in several threads; embedding is batched."""

    def __init__(self, settings: PipelineSettings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or PipelineSettings()
        self._embedder = embedder
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder(settings=self.settings.embedder)
            return self._embedder

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def detector(self) -> Detector:
        """A detector for the calling thread (OpenCV nets are not shared between threads)."""
        det = getattr(self._local, "detector", None)
        if det is None:
            det = make_detector(self.settings.detector)
            self._local.detector = det
        return det

    def detect(self, image: np.ndarray) -> list[Detection]:
        dets = self.detector().detect(image)
        return [d for d in dets if min(d.box[2], d.box[3]) >= self.settings.min_face]

    def crops(self, image: np.ndarray, detections: list[Detection]) -> np.ndarray:
        """(N, 160, 160, 3) uint8 network inputs for the detections."""
        if not detections:
            return np.zeros((0, 160, 160, 3), dtype=np.uint8)
        return np.stack([face_input(image, d, self.settings.align) for d in detections])

    def faces(self, image: np.ndarray) -> list[Face]:
        """All faces of an RGB uint8 image, with embeddings."""
        dets = self.detect(image)
        emb = self.embedder.embed(self.crops(image, dets))
        return [Face(d.box, d.landmarks, d.score, e) for d, e in zip(dets, emb, strict=True)]

    def prepare(self, path: str | Path) -> tuple[PhotoFaces, list[Detection], np.ndarray]:
        """Load and detect one file (no embedding): the CPU-bound part, safe to run in worker threads."""
        result = PhotoFaces(str(path))
        try:
            loaded = load_image(path, max_side=self.settings.crop_max_side)
        except ImageLoadError as exc:
            result.error = exc.reason
            return result, [], np.zeros((0, 160, 160, 3), dtype=np.uint8)
        result.width, result.height = loaded.original_width, loaded.original_height
        result.date_taken = loaded.date_taken
        image = loaded.rgb
        scale_to_orig = 1.0 / loaded.scale
        dets = self.detector().detect(image)  # detectors downscale big images themselves
        dets = [d for d in dets if min(d.box[2], d.box[3]) * scale_to_orig >= self.settings.min_face]
        crops = self.crops(image, dets)
        return result, [d.scaled(scale_to_orig) for d in dets], crops

    def faces_from_path(self, path: str | Path) -> PhotoFaces:
        """Faces of one photo file. A bad file gives ``error`` and no faces; it never raises."""
        result, dets, crops = self.prepare(path)
        if dets:
            emb = self.embedder.embed(crops)
            result.faces = [Face(d.box, d.landmarks, d.score, e) for d, e in zip(dets, emb, strict=True)]
        return result
