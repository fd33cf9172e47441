"""Import photo folders into the library: scan, detect in worker threads, embed in batches,
write one transaction per batch.

Flow: the scan (:mod:`core.library.import_plan`) lists the files that need work; worker
threads hash, decode and detect them (never touching the database) within a window of
``2 * workers`` photos in flight; the calling thread decides what each file is (new, moved,
copy, changed, bad), embeds the new faces a batch at a time and commits each batch with
its photos (:mod:`core.library.import_writer`). A photo is "done" only in the
transaction that stores its faces and embeddings, so an import killed at any moment
leaves a consistent library and the next import carries on where it stopped.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core import faults
from core.detection import DEFAULT_DETECTOR
from core.library import import_writer as writer
from core.library.import_actions import Tally, apply, decide
from core.library.import_plan import ImportPlan, KnownPhoto, LibraryIndex, plan_import, vanished
from core.library.import_worker import AHEAD, ImportAction, WorkItem, opencv_threads, prepare
from core.library.results import ImportReport
from core.library.roots import ensure_roots, unmapped_messages
from core.library.scanner import resolve_root
from core.pipeline import FacePipeline, PipelineSettings
from core.progress import Cancelled, CancelToken, ProgressFn, check, report
from core.storage.engine import Library, begin_write
from core.storage.states import READ_STATUSES, PhotoStatus

if TYPE_CHECKING:
    from core.library.index_cache import IndexCache

POLL_S = 0.1  # how often a wait for a worker checks the cancel token
FIRST_COMMIT = 1  # the first transaction of an import holds this many photos, so an app shows one soon


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class ImportSettings:
    """``workers``: decode+detect threads; ``batch_size``: faces per embedding batch;
    ``commit_every``: most photos per transaction; ``detector``: used when the importer
    makes its own pipeline."""

    workers: int = field(default_factory=default_workers)
    batch_size: int = 32
    commit_every: int = 64
    detector: str = DEFAULT_DETECTOR
    read_metadata: bool = True  # face names from XMP (core.metadata); False: --no-metadata


def import_folders(library: Library, folders: Sequence[str | os.PathLike[str]], *,
                   pipeline: FacePipeline | None = None, settings: ImportSettings | None = None,
                   progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                   index_cache: IndexCache | None = None) -> ImportReport:
    """Import every photo below ``folders`` (files may be given too); see the module doc.
    ``index_cache``: the library's photo index kept from the imports before
    (:mod:`core.library.index_cache`); None: read in full."""
    settings = settings or ImportSettings()
    pipeline = pipeline or FacePipeline(PipelineSettings(detector=settings.detector))
    return _Importer(library, pipeline, settings, progress, cancel, index_cache).run(folders)


class _Importer:
    def __init__(self, library: Library, pipeline: FacePipeline, settings: ImportSettings,
                 progress: ProgressFn | None, cancel: CancelToken | None,
                 index_cache: IndexCache | None = None) -> None:
        self.library, self.pipeline, self.settings = library, pipeline, settings
        self.index_cache = index_cache
        self.progress, self.cancel = progress, cancel
        self.report = ImportReport()
        self.t0 = time.monotonic()
        self.consumed = 0
        self.faces_seen = 0

    def run(self, folders: Sequence[str | os.PathLike[str]]) -> ImportReport:
        roots = list(dict.fromkeys(str(resolve_root(f)) for f in folders))
        finished = False
        try:
            # PostgreSQL: one import at a time per library (a second one waits, then finds the work done)
            with self.library.import_lease(progress=self.progress, cancel=self.cancel):
                self._run(roots)
            finished = True
        except Cancelled:
            self.report.cancelled = True
        finally:
            if self.index_cache is not None:
                self.index_cache.checkin(finished)  # stopped early: the index may hold what was never written
        self.report.elapsed_s = time.monotonic() - self.t0
        return self.report

    def _run(self, roots: list[str]) -> None:
        with self.library.session() as session:
            cache = self.index_cache
            self.index = LibraryIndex.load(session) if cache is None else cache.checkout(self.library, session)
        plan = plan_import(roots, self.index, progress=self.progress, cancel=self.cancel)
        self.report.errors += [(e.path, e.reason) for e in plan.errors]
        self.report.files_total = plan.files_total
        self._restore(plan, roots)
        self._process(plan)
        self._mark_vanished(plan, roots)
        if self.settings.read_metadata:
            self._read_metadata(roots)

    # -- before and after the work --------------------------------------------------------
    def _restore(self, plan: ImportPlan, roots: list[str]) -> None:
        """Unchanged files back at their path; unchanged files count as done at once; what the
        scan could not read is recorded for ``faceorg status``."""
        with self.library.session() as session:
            begin_write(session)
            ensure_roots(session, roots)  # a library root for each folder no root holds yet
            self.report.unmapped_roots = unmapped_messages(session)
            writer.record_scan_problems(session, roots, [(e.path, e.reason) for e in plan.errors])
            if plan.restore:
                writer.set_status(session, [row.id for row in plan.restore if row.id is not None], PhotoStatus.DONE)
            faults.point("import.restore")
            for row in plan.restore:
                row.status = PhotoStatus.DONE
        self.report.photos_restored += len(plan.restore)
        self.report.photos_unchanged += plan.unchanged
        self.report.files_done = self.base_done = plan.unchanged + len(plan.restore)
        self.processing_t0 = time.monotonic()
        self.remaining = len(plan.work)
        self._report_progress()

    def _mark_vanished(self, plan: ImportPlan, roots: list[str]) -> None:
        """Rows whose file is gone become "missing" (never deleted); an original whose copy
        is still there takes the copy's path instead, keeping its faces on a real file."""
        gone = vanished(self.index, plan, roots)
        if not gone:
            return
        gone_ids = {row.id for row in gone}
        dups = self.index.duplicates_of()
        missing: list[KnownPhoto] = []
        with self.library.session() as session:
            begin_write(session)
            for row in gone:
                copy = next((d for d in dups.get(row.id or -1, []) if d.status == PhotoStatus.DONE
                             and d.id not in gone_ids and os.path.exists(d.path)), None)
                if row.duplicate_of is not None or copy is None or row.id is None or copy.id is None:
                    missing.append(row)
                    continue
                writer.swap_paths(session, row.id, copy.id)
                old, new = (row.path, row.size, row.mtime), (copy.path, copy.size, copy.mtime)
                self.index.move(copy, "\0swap", 0, 0.0)
                self.index.move(row, *new)
                self.index.move(copy, *old)
                row.status = PhotoStatus.DONE
                missing.append(copy)
                self.report.photos_moved += 1  # the photo lives on at its copy's path
            writer.set_status(session, [r.id for r in missing if r.id is not None], PhotoStatus.MISSING)
            faults.point("import.vanished")
        for row in missing:
            row.status = PhotoStatus.MISSING
        # as `faceorg status` counts: photos, not the copies (a vanished copy loses nothing)
        self.report.photos_missing += sum(1 for row in missing if row.duplicate_of is None)

    def _read_metadata(self, roots: list[str]) -> None:
        """Face names from the photos' XMP (see core.metadata.library_sync)."""
        from core.metadata.library_sync import sync_metadata

        # no progress of its own: it is a few percent of an import, and the import's progress stays its last word
        meta = sync_metadata(self.library, roots, self.pipeline, cancel=self.cancel)
        self.report.add_metadata(meta)

    # -- the work ---------------------------------------------------------------------------
    def _process(self, plan: ImportPlan) -> None:
        workers = max(1, self.settings.workers)
        window = 2 * workers + AHEAD
        skip = frozenset(self.index.by_hash)
        pending: deque[Future[WorkItem]] = deque()
        todo = iter(plan.work)
        batch: list[WorkItem] = []
        batch_faces = 0
        pool = ThreadPoolExecutor(workers, thread_name_prefix="faceorg-import")
        threads = opencv_threads(workers)
        threads.__enter__()
        try:
            while True:
                while len(pending) < window and (job := next(todo, None)) is not None:
                    file, known = job
                    digest = known.content_hash if known is not None and known.status in READ_STATUSES \
                        else None
                    pending.append(pool.submit(prepare, self.pipeline, file, known, digest, skip))
                if not pending:
                    break
                item = self._wait(pending.popleft())
                decide(self.index, self.pipeline, item)
                self.faces_seen += 0 if item.crops is None else len(item.crops)
                batch.append(item)
                batch_faces += 0 if item.crops is None else len(item.crops)
                self.consumed += 1
                self.remaining -= 1
                self._report_progress()
                first = self.report.files_done == self.base_done and len(batch) >= FIRST_COMMIT  # show some soon
                if first or batch_faces >= self.settings.batch_size or len(batch) >= self.settings.commit_every:
                    self._flush(batch)
                    batch, batch_faces = [], 0
            self._flush(batch)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            threads.__exit__(None, None, None)

    def _wait(self, future: Future[WorkItem]) -> WorkItem:
        while True:
            check(self.cancel)
            try:
                return future.result(timeout=POLL_S)
            except FutureTimeout:
                continue

    def _flush(self, batch: list[WorkItem]) -> None:
        """Embed the batch's new faces, then write the batch in one transaction."""
        if not batch:
            return
        check(self.cancel)
        self._embed([it for it in batch if it.action in (ImportAction.NEW, ImportAction.REPLACE)])
        tally = Tally()
        with self.library.session() as session:
            begin_write(session)
            for item in batch:
                apply(session, self.index, item, self.pipeline.model_id, tally)
            faults.point("import.batch")
        faults.point("import.committed")
        tally.add_to(self.report)
        self.report.files_done += len(batch)
        self._report_progress()  # "committed" moved: an app can show these photos now

    def _embed(self, items: list[WorkItem]) -> None:
        with_faces = [it for it in items if it.crops is not None and len(it.crops)]
        if not with_faces:
            return
        crops = np.concatenate([it.crops for it in with_faces if it.crops is not None])
        step = max(1, self.settings.batch_size)
        vectors = []
        for start in range(0, len(crops), step):
            check(self.cancel)
            vectors.append(self.pipeline.embedder.embed(crops[start:start + step]))
        emb = np.concatenate(vectors)
        at = 0
        for it in with_faces:
            for face in it.record.faces:
                face.embedding = emb[at]
                at += 1

    def _report_progress(self) -> None:
        """Files count as done once committed (the bar never reads N/N before the last commit)."""
        r = self.report
        done = r.files_done
        elapsed = max(1e-6, time.monotonic() - self.processing_t0)
        rate = self.consumed / elapsed
        eta = self.remaining / rate if rate > 0 else float("nan")
        report(self.progress, done, r.files_total, "importing", files_done=done, files_total=r.files_total,
               faces=self.faces_seen, photos_per_s=rate, eta_s=eta, committed=r.files_done)

