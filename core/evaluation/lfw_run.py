"""Run the FaceNet pipeline over LFW images: the face nearest the image centre (LFW's subject),
or a centre crop when no face is found (:func:`lfw_crop`, the one "load, detect, crop" of LFW images: the
fine-tuning's trunk features and jittered views use it too). Used by ``faceorg evaluate`` and the benchmarks."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.alignment import center_crop, face_input
from core.detection.base import Detection
from core.imaging.loader import load_image
from core.paths import cache_dir
from core.pipeline import FacePipeline
from core.progress import CancelToken, ProgressFn, check, report

if TYPE_CHECKING:
    from core.evaluation.identification import IdentificationResult
    from core.evaluation.lfw import VerificationResult


@dataclass
class LfwEmbeddings:
    """Embeddings of LFW images, one row per relative path; ``fallback`` marks centre crops."""

    paths: list[str]
    embeddings: np.ndarray
    fallback: np.ndarray
    model_id: str
    elapsed_s: float

    def index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.paths)}


def central_detection(detections: Sequence[Detection], width: int, height: int) -> Detection | None:
    """The detection whose centre is nearest the image centre (LFW images are centred on the subject)."""
    if not detections:
        return None
    cx, cy = width / 2, height / 2

    def dist(d: Detection) -> float:
        x, y, w, h = d.box
        return (x + w / 2 - cx) ** 2 + (y + h / 2 - cy) ** 2

    return min(detections, key=dist)


def central_face(pipeline: FacePipeline, root: str | Path, rel: str) -> tuple[np.ndarray, Detection | None]:
    """The LFW image ``rel`` (RGB) and its subject: the pipeline's detection nearest the centre, if any."""
    image = load_image(Path(root) / "images" / rel).rgb
    return image, central_detection(pipeline.detector().detect(image), image.shape[1], image.shape[0])


def lfw_crop(pipeline: FacePipeline, root: str | Path, rel: str) -> tuple[np.ndarray, bool]:
    """The embedder's input for the LFW image ``rel``: its subject cut out with the pipeline's alignment, or a
    centre crop when no face is found (then ``True``: a fallback)."""
    image, det = central_face(pipeline, root, rel)
    if det is None:
        return center_crop(image), True
    return face_input(image, det, pipeline.settings.align), False


def _batches(paths: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(paths), size):
        yield paths[start:start + size]


def embed_lfw_images(root: str | Path, rel_paths: Sequence[str], pipeline: FacePipeline | None = None, *,
                     workers: int = 2, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> LfwEmbeddings:
    """Detect (in ``workers`` threads), crop and embed (batched) the given LFW images."""
    root = Path(root)
    pipeline = pipeline or FacePipeline()
    embedder = pipeline.embedder
    start = time.perf_counter()
    rows: list[np.ndarray] = []
    fallback: list[bool] = []
    batch_size = max(16, embedder.settings.batch_size)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = None
        for batch in _batches(list(rel_paths), batch_size):
            check(cancel)
            future = [pool.submit(lfw_crop, pipeline, root, rel) for rel in batch]
            if pending is not None:
                rows.append(_embed(embedder, pending, fallback))
            pending = future
            report(progress, len(rows) * batch_size, len(rel_paths), "embedding LFW")
        if pending is not None:
            rows.append(_embed(embedder, pending, fallback))
    emb = np.concatenate(rows) if rows else np.zeros((0, embedder.dim), np.float32)
    report(progress, len(rel_paths), len(rel_paths), "embedding LFW")
    return LfwEmbeddings(list(rel_paths), emb, np.array(fallback, dtype=bool), embedder.model_id,
                         time.perf_counter() - start)


def _embed(embedder, futures, fallback: list[bool]) -> np.ndarray:  # noqa: ANN001
    results = [f.result() for f in futures]
    fallback.extend(fb for _, fb in results)
    return embedder.embed(np.stack([crop for crop, _ in results]))


def _store_file(pipeline: FacePipeline) -> Path:
    key_src = repr((pipeline.model_id, asdict(pipeline.settings))).encode()
    folder = cache_dir() / "lfw_embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"store-{hashlib.sha256(key_src).hexdigest()[:20]}.npz"


def _read_store(file: Path) -> dict[str, tuple[np.ndarray, bool]]:
    if not file.is_file():
        return {}
    try:
        data = np.load(file, allow_pickle=False)
        return {str(p): (e, bool(f)) for p, e, f in zip(data["paths"], data["embeddings"], data["fallback"],
                                                         strict=True)}
    except (OSError, ValueError, KeyError):
        return {}  # a damaged store is rebuilt


def cached_embed_lfw(root: str | Path, rel_paths: Sequence[str], pipeline: FacePipeline | None = None, *,
                     progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> LfwEmbeddings:
    """``embed_lfw_images`` memoised per image on disk, keyed by (model, pipeline settings): a request
    embeds only the images no earlier request (of any subset of LFW) has embedded."""
    pipeline = pipeline or FacePipeline()
    if not rel_paths:
        return LfwEmbeddings([], np.zeros((0, 512), np.float32), np.zeros(0, bool), pipeline.model_id, 0.0)
    file = _store_file(pipeline)
    store = _read_store(file)
    missing = [p for p in dict.fromkeys(rel_paths) if p not in store]
    elapsed = 0.0
    if missing:
        fresh = embed_lfw_images(root, missing, pipeline, progress=progress, cancel=cancel)
        elapsed = fresh.elapsed_s
        store = _read_store(file) | {p: (e, bool(f)) for p, e, f in zip(fresh.paths, fresh.embeddings,
                                                                          fresh.fallback, strict=True)}
        paths = sorted(store)
        tmp = file.with_name(f"{file.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, paths=np.array(paths), embeddings=np.stack([store[p][0] for p in paths]),
                 fallback=np.array([store[p][1] for p in paths]), model_id=np.array(pipeline.model_id))
        os.replace(tmp, file)
    return LfwEmbeddings(list(rel_paths), np.stack([store[p][0] for p in rel_paths]).astype(np.float32),
                         np.array([store[p][1] for p in rel_paths], dtype=bool), pipeline.model_id, elapsed)


@dataclass
class LfwVerification:
    """``faceorg evaluate lfw``: the View-2 protocol result plus how the images were embedded."""

    result: VerificationResult
    n_images: int
    n_fallback: int
    embed_seconds: float
    model_id: str

    def to_json(self) -> dict:
        r = self.result
        return {"accuracy_mean": r.accuracy_mean, "accuracy_std": r.accuracy_std,
                "accuracy_per_fold": [float(a) for a in r.accuracy_per_fold],
                "threshold": r.threshold_mean, "threshold_per_fold": [float(t) for t in r.threshold_per_fold],
                "val_at_far": r.val_mean, "val_std": r.val_std, "far": r.far_mean, "far_target": r.far_target,
                "auc": r.roc.auc, "eer": r.roc.eer, "n_pairs": r.n_pairs, "n_images": self.n_images,
                "n_fallback_center_crop": self.n_fallback, "embed_seconds": round(self.embed_seconds, 1),
                "model_id": self.model_id, "distance": "squared L2 of L2-normalised embeddings"}


def verify_lfw(root: str | Path, pairs_file: str | Path | None = None, pipeline: FacePipeline | None = None,
               *, folds: Sequence[int] | None = None, far_target: float = 1e-3, use_cache: bool = True,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> LfwVerification:
    """Embed the images of ``pairs.txt`` (or the given folds of it) and run the 10-fold protocol."""
    from core.evaluation.lfw import pair_arrays, pair_distances, read_pairs, verify_10fold

    root = Path(root)
    pairs = read_pairs(pairs_file or root / "pairs.txt")
    if folds is not None:
        pairs = [p for p in pairs if p.fold in set(folds)]
    paths = sorted({p.path_a for p in pairs} | {p.path_b for p in pairs})
    embed = cached_embed_lfw if use_cache else embed_lfw_images
    emb = embed(root, paths, pipeline, progress=progress, cancel=cancel)
    a, b, same, fold = pair_arrays(pairs, emb.index())
    result = verify_10fold(pair_distances(emb.embeddings, a, b), same, fold, far_target=far_target)
    return LfwVerification(result, len(paths), int(emb.fallback.sum()), emb.elapsed_s, emb.model_id)


@dataclass
class SeedIdentification:
    """``faceorg evaluate identify``: the seed protocol (62 people, 10/5/5 images each)."""

    result: IdentificationResult
    n_people: int
    n_fallback: int

    def to_json(self) -> dict:
        r = self.result
        return {"test_accuracy": r.test_accuracy, "k": r.k, "n_people": self.n_people,
                "val_accuracy_by_k": {str(k): v for k, v in r.val_accuracy_by_k.items()},
                "test_accuracy_by_k": {str(k): v for k, v in r.test_accuracy_by_k.items()},
                "n_fallback_center_crop": self.n_fallback}


def identify_seed(root: str | Path, pipeline: FacePipeline | None = None, *, use_cache: bool = True,
                  progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> SeedIdentification:
    """The seed experiment's 62-way k-NN identification with the pipeline's embeddings."""
    from core.evaluation.identification import knn_identify, seed_split

    root = Path(root)
    split = seed_split(root)
    parts = [split.gallery, split.validation, split.test]
    rels = [str(p.relative_to(root / "images")) for part in parts for p, _ in part]
    embed = cached_embed_lfw if use_cache else embed_lfw_images
    emb = embed(root, rels, pipeline, progress=progress, cancel=cancel)
    n_g, n_v = len(split.gallery), len(split.validation)
    e = emb.embeddings
    result = knn_identify(e[:n_g], [n for _, n in split.gallery], e[n_g:n_g + n_v],
                          [n for _, n in split.validation], e[n_g + n_v:], [n for _, n in split.test],
                          cancel=cancel)
    return SeedIdentification(result, len(split.people), int(emb.fallback.sum()))
