"""FacePipeline: the one public entry point from a photo to faces with FaceNet embeddings."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.alignment import IMAGE_SIZE, AlignSettings, face_input
from core.detection import DEFAULT_DETECTOR, make_detector
from core.detection.base import Detection, Detector
from core.embedding.settings import EmbedderSettings
from core.imaging.loader import ImageLoadError, LoadedImage, load_image

if TYPE_CHECKING:
    from core.embedding.backend import FaceEmbedder


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
    """``detect_side``: a photo is decoded for detection at the smallest JPEG DCT scale whose longest
    side is at least this (the detectors' working size); faces are then cut from that copy when it
    gives each face's crop window at least ``crop_min_window`` pixels, else from a copy decoded as large
    as the smallest face needs (at most ``crop_max_side``). The default, 80 px, lets a face's 160-px input
    be enlarged at most 2x from the copy: on the 12-MP collages that cuts the second, full-size decode
    of most photos (~100 ms each) for a cosine of 0.993 between the two crops' embeddings (BENCHMARKS.md
    section 5); 160 never enlarges."""

    detector: str = DEFAULT_DETECTOR
    crop_max_side: int = 4096       # faces are cut from a copy at most this big
    min_face: int = 20              # px, in the original photo
    detect_side: int = 1280
    crop_min_window: int = IMAGE_SIZE // 2
    align: AlignSettings = field(default_factory=AlignSettings)
    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)


class FacePipeline:
    """Detect, align and embed. Detection may run in several threads; embedding is batched."""

    def __init__(self, settings: PipelineSettings | None = None, embedder: FaceEmbedder | None = None) -> None:
        self.settings = settings or PipelineSettings()
        self._embedder = embedder
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def embedder(self) -> FaceEmbedder:
        with self._lock:
            if self._embedder is None:
                from core.embedding.backend import make_embedder

                self._embedder = make_embedder(self.settings.embedder)
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
        """Load and detect one file (no embedding): the CPU-bound part, safe to run in worker threads.

        Decoding for detection stops at the JPEG DCT scale the detector needs; faces are cut from a
        copy only as large as the smallest face needs (see :class:`PipelineSettings`)."""
        result = PhotoFaces(str(path))
        empty = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
        try:
            loaded = load_image(path, max_side=min(self.settings.detect_side, self.settings.crop_max_side),
                                reduce_only=True)
            result.width, result.height = loaded.original_width, loaded.original_height
            result.date_taken = loaded.date_taken
            dets = self.detector().detect(loaded.rgb)  # detectors downscale big images themselves
            dets = [d.scaled(1.0 / loaded.scale) for d in dets]  # original-photo pixels from here
            dets = [d for d in dets if min(d.box[2], d.box[3]) >= self.settings.min_face]
            if not dets:
                return result, [], empty
            source = self._crop_source(path, loaded, dets)
        except ImageLoadError as exc:
            result.error = exc.reason
            return result, [], empty
        crops = self.crops(source.rgb, [d.scaled(source.scale) for d in dets])
        return result, dets, crops

    def _crop_source(self, path: str | Path, loaded: LoadedImage, dets: list[Detection]) -> LoadedImage:
        """``loaded`` when every face's crop window has at least ``crop_min_window`` px in it, else the
        photo decoded at the scale the smallest window needs (JPEG: the next DCT scale up; capped by
        crop_max_side)."""
        margin = 1 + 2 * self.settings.align.margin
        smallest = min(max(d.box[2], d.box[3]) for d in dets) * margin  # original pixels
        need = min(1.0, self.settings.crop_min_window / max(smallest, 1.0))
        longest = max(loaded.original_width, loaded.original_height)
        cap = min(1.0, self.settings.crop_max_side / longest)
        if loaded.scale >= min(need, cap) - 1e-9:
            return loaded
        side = min(self.settings.crop_max_side, math.ceil(longest * need))
        return load_image(path, max_side=side, reduce_only=side < self.settings.crop_max_side)

    def faces_from_path(self, path: str | Path) -> PhotoFaces:
        """Faces of one photo file. A bad file gives ``error`` and no faces; it never raises."""
        result, dets, crops = self.prepare(path)
        if dets:
            emb = self.embedder.embed(crops)
            result.faces = [Face(d.box, d.landmarks, d.score, e) for d, e in zip(dets, emb, strict=True)]
        return result
