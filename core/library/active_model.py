"""The library's active embedding model: switching models and re-embedding the faces.

Embeddings are stored per model id (``Embedding`` is keyed by ``(model_id, face_id)``), so nothing is
ever overwritten: switching back to a model whose embeddings are all there costs nothing, and a
cancelled re-embedding keeps what it wrote (a re-run skips those faces).

``LibraryMeta["active_model"]`` (``{"model_id", "path"}``) is the model grouping and recognition use
(:func:`core.library.review.pick_model` reads it). :func:`set_active_model` makes a model active at once
when every face has its embedding; otherwise it becomes ``LibraryMeta["pending_model"]`` and
:func:`reembed` fills in the missing embeddings, batch by batch, then makes it active. Faces whose
photo cannot be read are reported and left without an embedding of the new model.

Re-embedding decodes each photo once and cuts its faces out again with the stored box (and landmarks,
for the ``similarity`` alignment) like the import did. A ``metric_head`` model needs no image: its head
is applied to the stored embeddings of the pretrained FaceNet (what the head was trained on), so
adopting a personal head is instant.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.library.roots import local_path
from core.modelstore.registry import PRETRAINED_ID, ModelInfo, find_model
from core.progress import CancelToken, ProgressFn, check, report
from core.storage.embeddings import load_matrix, save_embeddings
from core.storage.engine import Library, begin_write
from core.storage.schema import Embedding, Face, LibraryMeta, Photo

if TYPE_CHECKING:
    from core.embedding.embedder import Embedder
    from core.pipeline import PipelineSettings

ACTIVE_KEY = "active_model"
PENDING_KEY = "pending_model"


@dataclass(frozen=True)
class ActiveModel:
    """The model in use, the one waiting for its embeddings (if any), and how many faces each has."""

    model_id: str
    path: str | None
    faces: int
    embedded: int
    pending_id: str | None = None
    pending_path: str | None = None
    pending_embedded: int = 0


@dataclass(frozen=True)
class ModelSwitch:
    """What :func:`set_active_model` did: ``activated`` at once, or pending with ``missing`` faces."""

    model_id: str
    path: str | None
    missing: int
    faces: int
    activated: bool


@dataclass
class ReembedReport:
    """One :func:`reembed` run. ``from_stored``: embeddings computed from stored ones (metric head)."""

    model_id: str
    faces: int = 0
    already: int = 0
    embedded: int = 0
    from_stored: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (photo path, reason)
    failed_faces: int = 0
    activated: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (stable keys)."""
        return {"model_id": self.model_id, "faces": self.faces, "already": self.already,
                "embedded": self.embedded, "from_stored": self.from_stored, "failed_faces": self.failed_faces,
                "failed": [list(f) for f in self.failed], "activated": self.activated,
                "seconds": round(self.seconds, 2)}


def _meta(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(LibraryMeta, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else None


def _set_meta(session: Session, key: str, value: dict[str, Any] | None) -> None:
    row = session.get(LibraryMeta, key)
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(LibraryMeta(key=key, value=value))
    else:
        row.value = value


def _count(session: Session, model_id: str | None = None) -> int:
    if model_id is None:
        return int(session.scalar(select(func.count(Face.id))) or 0)
    return int(session.scalar(select(func.count()).select_from(Embedding).where(Embedding.model_id == model_id))
               or 0)


def active_model(library: Library) -> ActiveModel:
    """The library's active model (the pretrained FaceNet, or the model with the most embeddings,
    when none was chosen) and the pending one."""
    from core.library.review import pick_model

    with library.session() as session:
        active = _meta(session, ACTIVE_KEY) or {"model_id": pick_model(session) or PRETRAINED_ID, "path": None}
        pending = _meta(session, PENDING_KEY) or {}
        pid = pending.get("model_id")
        return ActiveModel(str(active["model_id"]), active.get("path"), _count(session),
                           _count(session, str(active["model_id"])), pid, pending.get("path"),
                           _count(session, pid) if pid else 0)


def _resolve(ref: str | Path | ModelInfo) -> ModelInfo:
    info = ref if isinstance(ref, ModelInfo) else find_model(ref)
    if not info.usable:
        raise ValueError(f"model {info.name!r} ({info.arch}) cannot embed library faces")
    return info


def set_active_model(library: Library, model_id_or_path: str | Path | ModelInfo) -> ModelSwitch:
    """Make a model (name, id, ``.pt`` path or ``"pretrained"``) the library's model: at once when all
    faces have its embeddings, else as the pending model that :func:`reembed` completes."""
    info = _resolve(model_id_or_path)
    value = {"model_id": info.model_id, "path": None if info.path is None else str(info.path)}
    with library.session() as session:
        begin_write(session)
        faces, have = _count(session), _count(session, info.model_id)
        missing = max(0, faces - have)
        if missing == 0:
            _set_meta(session, ACTIVE_KEY, value)
            _set_meta(session, PENDING_KEY, None)
        else:
            _set_meta(session, PENDING_KEY, value)
    return ModelSwitch(info.model_id, value["path"], missing, faces, missing == 0)


def load_target_embedder(library: Library, settings: PipelineSettings | None = None) -> Embedder:
    """An embedder for the pending model (else the active one), with ``settings.embedder``."""
    from core.modelstore.loading import load_embedder
    from core.pipeline import PipelineSettings

    state = active_model(library)
    path = state.pending_path if state.pending_id else state.path
    return load_embedder(path, (settings or PipelineSettings()).embedder)


def _missing(session: Session, model_id: str) -> list[Any]:
    has = select(Embedding.face_id).where(Embedding.model_id == model_id, Embedding.face_id == Face.id).exists()
    stmt = (select(Face.id, Face.photo_id, local_path(session).label("path"), Face.x, Face.y, Face.w, Face.h,
                   Face.landmarks, Face.score).join(Photo, Photo.id == Face.photo_id)
            .where(~has).order_by(Face.photo_id, Face.id))
    return list(session.execute(stmt).all())


def _write(library: Library, model_id: str, ids: list[int], vectors: np.ndarray) -> None:
    with library.session() as session:
        begin_write(session)
        save_embeddings(session, model_id, zip(ids, vectors, strict=True))


def _from_stored(library: Library, embedder: Embedder, ids: list[int], batch_size: int, rep: ReembedReport,
                 progress: ProgressFn | None, cancel: CancelToken | None) -> set[int]:
    """Metric-head shortcut: project the stored pretrained embeddings; returns the faces done."""
    from core.modelstore.loading import HeadOnFacenet
    from core.modelstore.networks import project

    head = embedder.model.head if isinstance(embedder.model, HeadOnFacenet) else None
    done: set[int] = set()
    if head is None:
        return done
    head = copy.deepcopy(head).cpu()
    for s in range(0, len(ids), max(batch_size, 256)):
        check(cancel)
        with library.session() as session:
            got, base = load_matrix(session, PRETRAINED_ID, ids[s:s + max(batch_size, 256)])
        if len(got):
            _write(library, embedder.model_id, got.tolist(), project(head, base))
            done.update(got.tolist())
            rep.embedded += len(got)
            rep.from_stored += len(got)
        report(progress, rep.embedded, len(ids), "re-embedding faces", from_stored=rep.from_stored)
    return done


def _crop(loaded: Any, row: Any, settings: PipelineSettings) -> np.ndarray:
    import dataclasses

    from core.alignment import face_input
    from core.detection.base import Detection

    s = loaded.scale
    box = (row.x * s, row.y * s, row.w * s, row.h * s)
    align = settings.align
    if row.landmarks is None:
        align = dataclasses.replace(align, method="crop")
        lm = np.zeros((5, 2))
    else:
        lm = np.asarray(row.landmarks, dtype=np.float64).reshape(5, 2) * s
    return face_input(loaded.rgb, Detection(box, lm, float(row.score)), align)


def reembed(library: Library, embedder: Embedder | None = None, *, settings: PipelineSettings | None = None,
            batch_size: int = 32, progress: ProgressFn | None = None,
            cancel: CancelToken | None = None) -> ReembedReport:
    """Store ``embedder``'s embedding (default: the pending model's) for every face that lacks one,
    writing per batch, then make that model active if it was the pending one. Cancel raises
    :class:`core.progress.Cancelled`; what was written stays, and a re-run goes on from there."""
    from core.imaging.loader import ImageLoadError, load_image
    from core.pipeline import PipelineSettings

    t0 = time.perf_counter()
    settings = settings or PipelineSettings()
    embedder = embedder or load_target_embedder(library, settings)
    model_id = embedder.model_id
    with library.session() as session:
        rows = _missing(session, model_id)
        faces = _count(session)
    rep = ReembedReport(model_id, faces=faces, already=faces - len(rows))
    report(progress, 0, len(rows), "re-embedding faces")
    done = _from_stored(library, embedder, [int(r.id) for r in rows], batch_size, rep, progress, cancel)
    rows = [r for r in rows if int(r.id) not in done]
    total = rep.embedded + len(rows)
    ids: list[int] = []
    crops: list[np.ndarray] = []

    def flush() -> None:
        if ids:
            _write(library, model_id, ids, embedder.embed(np.stack(crops)))
            rep.embedded += len(ids)
            ids.clear()
            crops.clear()
            report(progress, rep.embedded, total, "re-embedding faces",
                   faces_per_s=rep.embedded / max(1e-9, time.perf_counter() - t0))

    i = 0
    while i < len(rows):
        check(cancel)
        j = i
        while j < len(rows) and rows[j].photo_id == rows[i].photo_id:
            j += 1
        try:
            loaded = load_image(rows[i].path, max_side=settings.crop_max_side)
        except (ImageLoadError, OSError) as exc:
            rep.failed.append((str(rows[i].path), getattr(exc, "reason", None) or str(exc)))
            rep.failed_faces += j - i
        else:
            for row in rows[i:j]:
                ids.append(int(row.id))
                crops.append(_crop(loaded, row, settings))
            if len(ids) >= batch_size:
                flush()
        i = j
    flush()
    rep.activated = _finish(library, model_id, rep.failed_faces)
    rep.seconds = time.perf_counter() - t0
    return rep


def _finish(library: Library, model_id: str, unreadable: int) -> bool:
    """Activate ``model_id`` if it is pending and every face it could embed has an embedding."""
    with library.session() as session:
        begin_write(session)
        pending = _meta(session, PENDING_KEY)
        if pending is None or pending.get("model_id") != model_id:
            return False
        if _count(session) - _count(session, model_id) > unreadable:
            return False  # faces were added meanwhile: the next run embeds them first
        _set_meta(session, ACTIVE_KEY, pending)
        _set_meta(session, PENDING_KEY, None)
        return True


def use_model(library: Library, model_id_or_path: str | Path | ModelInfo, *, embedder: Embedder | None = None,
              settings: PipelineSettings | None = None, progress: ProgressFn | None = None,
              cancel: CancelToken | None = None) -> ReembedReport:
    """:func:`set_active_model`, then :func:`reembed` when faces miss the model's embeddings."""
    switch = set_active_model(library, model_id_or_path)
    if switch.activated:
        return ReembedReport(switch.model_id, faces=switch.faces, already=switch.faces, activated=True)
    return reembed(library, embedder, settings=settings, progress=progress, cancel=cancel)
