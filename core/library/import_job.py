"""An import (then grouping), or a grouping alone, as one job that can run in a child process.

The desktop app runs its imports here instead of on a thread of its own process: loading torch
and the models, reading a big library's index and writing the groups hold the GIL for long
stretches, and C code holding the GIL cannot be made to yield to the UI thread. In a child
process nothing the job does can stall the app's UI.

- :func:`run_job` does the work in the calling process: :func:`core.library.importer.import_folders`
  then :func:`core.library.grouping.regroup`.
- :func:`run_in_child` runs :func:`run_job` in a child started with the ``spawn`` method (the same on
  Linux, macOS, Windows and in a frozen app, which must call ``multiprocessing.freeze_support()``
  first) and has the signature of a core function: ``progress(phase, Progress)`` is called in the
  calling thread, ``cancel`` is a :class:`CancelToken`. The child writes under the caller's
  writer lock (``ImportJob.holder_pid``, see :func:`core.storage.lock.check_delegation`).

Messages go over two one-way pipes. Child to parent: ``("progress", (phase, Progress))``, then one
of ``("done", JobResult)``, ``("cancelled", None)`` or ``("error", (type, text, traceback))``.
Parent to child: ``"cancel"``, which the child maps onto its CancelToken; the end of that pipe
(the parent exited) cancels too, so a child never writes long after its lock holder is gone. A
child that has not exited ``grace_s`` seconds after the cancel is terminated: an import killed at
any moment leaves a consistent library, and the next import carries on where it stopped.

This module imports nothing heavy at load time: the parent only needs it and
:mod:`core.library.results` (what it unpickles), never torch.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from core.clustering.strictness import DEFAULT_STRICTNESS
from core.detection import DEFAULT_DETECTOR
from core.library.results import GroupingResult, ImportReport
from core.progress import Cancelled, CancelToken, Progress, check

POLL_S = 0.05  # how often the parent looks at its cancel token while waiting for messages
GRACE_S = 5.0  # after a cancel, how long the child may take to stop before it is terminated
PROGRESS_INTERVAL_S = 0.1  # the child sends progress at most this often (plus every phase change)

JobProgressFn = Callable[[str, Progress], None]  # (phase: "import" | "group", progress)


@dataclass(frozen=True)
class ImportJob:
    """What to do. ``library``: the library file (None: the default library); ``paths``: files and
    folders to import (none: group only); ``group``: group the faces afterwards; ``strictness``: of
    that grouping (None: the library's last one); ``workers``: decode+detect threads (None: the
    importer's default);
    ``embedder``: :class:`core.embedding.settings.EmbedderSettings` fields; ``holder_pid``: the
    parent process whose writer lock the job writes under (None: take the lock itself);
    ``read_metadata``: read face names from the photos' XMP after the import;
    ``cluster``: a Ray address to spread the work over (:mod:`core.library.cluster_import`),
    ``cluster_gpus``: GPUs per embedding actor there."""

    library: str | None
    paths: tuple[str, ...] = ()
    group: bool = True
    strictness: str | None = DEFAULT_STRICTNESS
    detector: str = DEFAULT_DETECTOR
    workers: int | None = None
    embedder: dict[str, Any] = field(default_factory=dict)
    holder_pid: int | None = None
    read_metadata: bool = True  # face names from the photos' XMP (core.metadata)
    cluster: str | None = None
    cluster_gpus: float = 0.0


@dataclass
class JobResult:
    """What the job did. ``grouping_error``: why the faces were not grouped after an import that
    worked (the import's photos stay); ``cancelled``: the import stopped at a cancel;
    ``grouping_cancelled``: the import finished and the cancel came while grouping (its photos stay,
    the groups are as before: grouping again finishes the job); ``library``: the library's path."""

    library: str = ""
    report: ImportReport | None = None
    grouping: GroupingResult | None = None
    grouping_error: str = ""
    cancelled: bool = False
    grouping_cancelled: bool = False


class ImportJobError(RuntimeError):
    """The job failed (in the child: ``kind`` is the exception's type, ``detail`` its traceback)."""

    def __init__(self, message: str, kind: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.kind, self.detail = kind, detail


def run_job(job: ImportJob, progress: JobProgressFn | None = None, cancel: CancelToken | None = None,
            pipeline: Any = None, index_cache: Any = None) -> JobResult:
    """Do ``job`` in this process (see the module doc). ``pipeline``: a
    :class:`core.pipeline.FacePipeline` already loaded for the job's settings (the warm import
    process keeps one, :mod:`core.library.import_worker_process`); None: made here.
    ``index_cache``: a :class:`core.library.index_cache.IndexCache` kept between jobs (that process
    keeps one too); None: the import reads the library's photo index in full."""
    check(cancel)
    from core.storage.engine import open_library  # heavy modules load here, in the job's process

    def phase(name: str) -> Callable[[Progress], None] | None:
        return None if progress is None else (lambda p: progress(name, p))

    result = JobResult()
    with open_library(job.library, delegated_from=job.holder_pid) as library:
        result.library = str(library.path)
        if job.paths:
            result.report = _import(library, job, phase("import"), cancel, pipeline, index_cache)
            result.cancelled = result.report.cancelled
            if result.cancelled:
                return result
        if not job.group:
            return result
        from core.library.grouping import last_strictness, regroup

        strictness = job.strictness
        if strictness is None:
            with library.session() as session:
                strictness = last_strictness(session)
        try:
            result.grouping = regroup(library, strictness, progress=phase("group"), cancel=cancel)
        except Cancelled:
            if not job.paths:
                raise
            result.grouping_cancelled = True
        except Exception as exc:
            if not job.paths or _is_library_problem(exc, library.path):
                raise  # a full disk, a read-only or damaged library: said as such by the caller
            traceback.print_exc()  # the import's photos are stored; say why they were not grouped
            result.grouping_error = str(exc) or type(exc).__name__
    return result


def _import(library: Any, job: ImportJob, progress: Callable[[Progress], None] | None,
            cancel: CancelToken | None, pipeline: Any = None, index_cache: Any = None) -> ImportReport:
    from core.embedding.settings import EmbedderSettings  # no torch import: the ONNX embedder may serve
    from core.library.importer import ImportSettings, import_folders
    from core.pipeline import FacePipeline, PipelineSettings

    settings = ImportSettings(detector=job.detector, read_metadata=job.read_metadata)
    if job.workers:
        settings = ImportSettings(workers=job.workers, detector=job.detector, read_metadata=job.read_metadata)
    if pipeline is None:
        pipeline = FacePipeline(PipelineSettings(detector=job.detector, embedder=EmbedderSettings(**job.embedder)))
    check(cancel)
    if job.cluster:
        from core.library.cluster_import import ClusterSettings, connect, import_folders_cluster

        connect(job.cluster)
        return import_folders_cluster(library, list(job.paths), pipeline=pipeline, settings=settings,
                                      cluster=ClusterSettings(gpus_per_actor=job.cluster_gpus),
                                      progress=progress, cancel=cancel)
    return import_folders(library, list(job.paths), pipeline=pipeline, settings=settings,
                          progress=progress, cancel=cancel, index_cache=index_cache)


# -- the child's side ------------------------------------------------------------------------------
class _Sender:
    """Sends progress to the parent, at most every PROGRESS_INTERVAL_S (always on a new phase,
    message or committed count, and the last step of a phase)."""

    def __init__(self, events: Connection) -> None:
        self.events = events
        self.lock = threading.Lock()
        self.last = 0.0
        self.last_key: tuple[str, str, str] = ("", "", "")

    def send(self, message: tuple[str, Any]) -> None:
        with self.lock:
            try:
                self.events.send(message)
            except OSError:  # the parent is gone; the cancel watcher stops the job
                pass

    def progress(self, phase: str, p: Progress) -> None:
        now = time.monotonic()
        key = (phase, p.message, str((p.extra or {}).get("committed", "")))  # a commit is always sent
        last_step = p.total is not None and p.done >= p.total
        if key != self.last_key or last_step or now - self.last >= PROGRESS_INTERVAL_S:
            self.last, self.last_key = now, key
            self.send(("progress", (phase, p)))


def _watch(commands: Connection, cancel: CancelToken) -> None:
    """Cancel on "cancel", and when the parent closed its end (it exited or gave up on us)."""
    try:
        while commands.recv() != "cancel":
            pass
    except (EOFError, OSError):
        pass
    cancel.cancel()


def child_main(job: ImportJob, events: Connection, commands: Connection) -> None:
    """The child process: run the job and send its progress and outcome to the parent."""
    cancel = CancelToken()
    threading.Thread(target=_watch, args=(commands, cancel), name="faceorg-job-cancel", daemon=True).start()
    sender = _Sender(events)
    try:
        sender.send(("done", run_job(job, sender.progress, cancel)))
    except Cancelled:
        sender.send(("cancelled", None))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        sender.send(("error", (type(exc).__name__, _explain(exc, job.library), traceback.format_exc())))
    finally:
        events.close()


def _is_library_problem(exc: BaseException, path: Any) -> bool:
    from pathlib import Path

    from core.storage.errors import library_error

    return library_error(exc, Path(path)) is not None


def _explain(exc: BaseException, library: str | None) -> str:
    """One line for the user: a library problem (full disk, read-only, damaged) in the words the
    command line uses, anything else as it is."""
    from pathlib import Path

    from core.paths import default_library_path
    from core.storage.errors import library_error

    path = Path(library) if library else default_library_path()
    error = library_error(exc, path) if isinstance(exc, Exception) else None
    return str(error) if error is not None else str(exc)


# -- the parent's side -----------------------------------------------------------------------------
def run_in_child(job: ImportJob, *, progress: JobProgressFn | None = None, cancel: CancelToken | None = None,
                 grace_s: float = GRACE_S, started: Callable[[int], None] | None = None) -> JobResult:
    """Run ``job`` in a spawned child process and wait for it (see the module doc); returns its
    :class:`JobResult`, raises :class:`Cancelled` when cancelled before it had one, and
    :class:`ImportJobError` when it failed. ``started(pid)`` is called once the child runs. The
    child has exited when this returns."""
    ctx = multiprocessing.get_context("spawn")
    events_in, events_out = ctx.Pipe(duplex=False)
    commands_in, commands_out = ctx.Pipe(duplex=False)
    process = ctx.Process(target=child_main, args=(job, events_out, commands_in), name="faceorg-import",
                          daemon=True)
    process.start()
    events_out.close()  # the child has its own copies: each side sees the other's end as EOF
    commands_in.close()
    if started is not None:
        started(process.pid or 0)
    cancelled_at: float | None = None
    overdue = False  # cancelled, and the child did not stop within grace_s
    message: tuple[str, Any] = ("ended", None)
    try:
        while True:
            if cancel is not None and cancel.cancelled and cancelled_at is None:
                cancelled_at = time.monotonic()
                _send(commands_out, "cancel")
            if cancelled_at is not None and time.monotonic() - cancelled_at > grace_s:
                message, overdue = ("cancelled", None), True
                break
            if not events_in.poll(POLL_S):
                continue
            try:
                kind, payload = events_in.recv()
            except EOFError:  # the child exited without a word (crashed or killed)
                break
            if kind != "progress":
                message = (kind, payload)
                break
            if progress is not None:
                progress(*payload)
    finally:
        commands_out.close()  # the child, if still there, sees EOF and stops
        events_in.close()
        exitcode = _stop(process, 0.0 if overdue else grace_s)
    kind, payload = message
    if kind == "done":
        return payload
    if kind == "cancelled":
        raise Cancelled()
    if kind == "error":
        name, text, detail = payload
        raise ImportJobError(text or name, name, detail)
    if cancelled_at is not None:
        raise Cancelled()
    raise ImportJobError(f"the import process stopped unexpectedly (exit code {exitcode})")


def _send(connection: Connection, message: str) -> None:
    try:
        connection.send(message)
    except OSError:  # the child already exited
        pass


def _stop(process: Any, wait_s: float) -> int | None:
    """Wait ``wait_s`` for the child to exit, then terminate it, then kill it; its exit code."""
    process.join(wait_s)
    if process.is_alive():
        process.terminate()
        process.join(2.0)
    if process.is_alive():
        process.kill()
        process.join()
    exitcode = process.exitcode
    process.close()
    return exitcode
