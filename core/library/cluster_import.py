"""Import spread over a Ray cluster (``faceorg import --cluster ADDRESS``; extra ``[cluster]``).

The driver plans the import exactly as the local importer does (scan, what is new or changed)
and stays the library's single writer. The work goes through a Ray Data pipeline:

1. the file list (plan order) as a dataset;
2. hash, decode and detect as CPU **tasks** (``map_batches`` with a function);
3. embed in an **actor pool** that holds the model (``compute=ActorPoolStrategy``), each actor
   taking a fraction of a CPU (``EMBED_CPUS``) so that the tasks of step 2 are never starved,
   or a GPU where the cluster has them (``gpus_per_actor``);
4. the results stream back in plan order to the driver, which decides (new, copy, moved …)
   and writes batch by batch through the local importer's own writer.

So the cluster import stores the same photos and faces as a local import, and it is
resumable the same way: a photo is "done" only in the transaction that stores its faces, and
a killed driver's next run plans only what is left. Ray workers need this package importable
(installed on every node, or ``runtime_env={"working_dir": ...}``) and read the photos at the
same paths as the driver (a shared mount).
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from core.library.import_actions import decide
from core.library.import_plan import ImportPlan
from core.library.import_worker import WorkItem, prepare
from core.library.importer import FIRST_COMMIT, ImportSettings, _Importer
from core.library.results import ImportReport
from core.pipeline import FacePipeline, PipelineSettings
from core.progress import CancelToken, ProgressFn, check
from core.storage.engine import Library

EMBED_CPUS = 0.5  # per embedding actor: an actor pool that takes every CPU starves the read tasks


@dataclass(frozen=True)
class ClusterSettings:
    """``actors``: embedding actors (None: one per 2 cluster CPUs, at least 1, or one per GPU);
    ``gpus_per_actor``: 0 on CPU clusters; ``detect_batch``/``embed_batch``: files per task call
    and per actor call; ``detect_cpus``: CPUs each decode+detect task reserves; ``block_files``:
    most files per Ray block (one decode+detect task each; results reach the writer block by block)."""

    actors: int | None = None
    gpus_per_actor: float = 0.0
    detect_batch: int = 4
    embed_batch: int = 8
    detect_cpus: float = 1.0  # per decode+detect task
    block_files: int = 32


def connect(address: str | None, **init: Any) -> None:
    """``ray.init`` for ``address`` (``"local"`` or None: a local Ray), unless already connected."""
    import ray

    if not ray.is_initialized():
        ray.init(address=None if address in (None, "local") else address, **init)


def import_folders_cluster(library: Library, folders: Sequence[str | os.PathLike[str]], *,
                           pipeline: FacePipeline | None = None, settings: ImportSettings | None = None,
                           cluster: ClusterSettings | None = None, progress: ProgressFn | None = None,
                           cancel: CancelToken | None = None) -> ImportReport:
    """Like ``core.library.importer.import_folders``, with the per-file work on the connected Ray
    cluster (call :func:`connect` first). The workers build their pipeline from
    ``pipeline.settings``."""
    settings = settings or ImportSettings()
    pipeline = pipeline or FacePipeline(PipelineSettings(detector=settings.detector))
    importer = _ClusterImporter(library, pipeline, settings, progress, cancel)
    importer.cluster = cluster or ClusterSettings()
    return importer.run(folders)


class _ClusterImporter(_Importer):
    cluster: ClusterSettings

    def _process(self, plan: ImportPlan) -> None:
        import ray

        if not plan.work:
            return
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # decide() sees files in plan order, as locally
        ctx.enable_progress_bars = False  # progress goes through ``progress``, as for the local import
        ctx.print_on_execution_start = False
        ctx.execution_options.verbose_progress = False
        blob = pickle.dumps(self.pipeline.settings)
        skip = frozenset(self.index.by_hash)
        rows = [{"job": pickle.dumps((file, known, _known_digest(known)))} for file, known in plan.work]
        resources = ray.cluster_resources()
        actors = self.cluster.actors or _default_actors(resources, self.cluster.gpus_per_actor)
        ds = (ray.data.from_items(rows, override_num_blocks=_blocks(len(rows), resources, self.cluster.block_files))
              .map_batches(cast(Any, _detect_batch), fn_kwargs={"settings_blob": blob, "skip": skip},
                           batch_size=self.cluster.detect_batch, batch_format="numpy",
                           num_cpus=self.cluster.detect_cpus)
              .map_batches(_EmbedActor, fn_constructor_kwargs={"settings_blob": blob},
                           compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=EMBED_CPUS,
                           num_gpus=self.cluster.gpus_per_actor, batch_size=self.cluster.embed_batch,
                           batch_format="numpy"))
        self.write_items(pickle.loads(row["item"]) for row in ds.iter_rows())

    def write_items(self, items: Iterable[WorkItem]) -> None:
        """The single writer: decide each detected and embedded item in order, and write them
        in the local importer's transactions (the first after ``FIRST_COMMIT`` photos, then every
        ``batch_size`` faces or ``commit_every`` photos)."""
        batch: list[WorkItem] = []
        batch_faces = 0
        for item in items:
            check(self.cancel)
            decide(self.index, self.pipeline, item)  # may detect here (rare): embedded by _flush then
            n_faces = len(item.record.faces) if item.action in ("new", "replace") else 0
            self.faces_seen += n_faces
            batch.append(item)
            batch_faces += n_faces
            self.consumed += 1
            self.remaining -= 1
            self._report_progress()
            first = self.report.files_done == self.base_done and len(batch) >= FIRST_COMMIT  # show some soon
            if first or batch_faces >= self.settings.batch_size or len(batch) >= self.settings.commit_every:
                self._flush(batch)
                batch, batch_faces = [], 0
        self._flush(batch)


def _known_digest(known: Any) -> str | None:
    return known.content_hash if known is not None and known.status in ("done", "missing") else None


def _blocks(files: int, resources: dict[str, float], block_files: int) -> int:
    """Ray blocks for ``files``: at most ``block_files`` each, and at least 4 per cluster CPU (up
    to one per file) so that every CPU has decode+detect tasks. A block is one task's work and
    reaches the writer whole, so a few large blocks would both idle a cluster and hold back the
    writer's commits (the whole import in 4 blocks was the first version)."""
    cpus = max(1, int(resources.get("CPU", 1)))
    return max(1, min(files, max(-(-files // max(1, block_files)), 4 * cpus)))


def _default_actors(resources: dict[str, float], gpus_per_actor: float) -> int:
    if gpus_per_actor > 0:
        return max(1, int(resources.get("GPU", 0) / gpus_per_actor))
    return max(1, int(resources.get("CPU", 1) // 2))


@functools.cache
def _pipeline(settings_blob: bytes) -> FacePipeline:
    return FacePipeline(pickle.loads(settings_blob))


def _detect_batch(batch: dict[str, np.ndarray], settings_blob: bytes, skip: frozenset[str]) -> dict[str, Any]:
    """Ray task: hash, decode and detect each file (the local importer's worker step)."""
    pipeline = _pipeline(settings_blob)
    items = []
    for job in batch["job"]:
        file, known, digest = pickle.loads(job)
        items.append(pickle.dumps(prepare(pipeline, file, known, digest, skip)))
    return {"item": np.array(items, dtype=object)}


class _EmbedActor:
    """Ray actor: holds the embedding model; embeds the crops of a batch of work items and
    sends the items on without their crops."""

    def __init__(self, settings_blob: bytes) -> None:
        self.pipeline = _pipeline(settings_blob)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        items: list[WorkItem] = [pickle.loads(b) for b in batch["item"]]
        with_faces = [it for it in items if it.crops is not None and len(it.crops)]
        if with_faces:
            emb = self.pipeline.embedder.embed(np.concatenate([it.crops for it in with_faces]))
            at = 0
            for it in with_faces:
                for face in it.record.faces:
                    face.embedding = emb[at]
                    at += 1
        for it in items:
            if it.crops is not None:
                it.crops = np.zeros((0, 160, 160, 3), dtype=np.uint8)  # embedded: nothing left to ship
        return {"item": np.array([pickle.dumps(it) for it in items], dtype=object)}
