"""A warm import process: one child, started once, that loads torch and the models and then runs
import jobs one after another, so an import after the first starts at once.

:class:`ImportWorker` has the same contract as :func:`core.library.import_job.run_in_child`
(``run(job, progress=, cancel=, grace_s=, started=)``: the child writes under the caller's writer
lock, ``job.holder_pid``; progress arrives in the calling thread; a cancel the child does not honour
within ``grace_s`` kills it) but the child outlives the job. :meth:`ImportWorker.start` spawns it
ahead of the first job (the app does so when it opens a library); a child that died or was killed is
replaced by a fresh one at the next :meth:`~ImportWorker.run`; :meth:`~ImportWorker.close` stops it.

Messages: parent to child ``("job", id, ImportJob)``, ``("cancel", id)``, ``("index", library)`` (read
that library's photo index now, :mod:`core.library.index_cache`), ``("quit",)``; the end of
that pipe (the parent exited or gave up) cancels the running job and ends the child. Child to
parent: ``("ready", WorkerStats)`` once the models are loaded, then per job the progress of
:mod:`core.library.import_job` and one of ``("done", (JobResult, WorkerStats))``,
``("cancelled", None)`` or ``("error", (type, text, traceback))``.

Between jobs the child also keeps the library's photo index (:mod:`core.library.index_cache`): read
when it starts (``WarmSpec.library``) or is told of another library, brought up to date right after
each import (the chunks it wrote) and while it waits (once another process's writes have settled), so
that an import reads no photo rows, or only those that changed, before its first photo.

Like :mod:`core.library.import_job`, this module imports nothing heavy at load time.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from core.detection import DEFAULT_DETECTOR
from core.library.import_job import (
    GRACE_S,
    POLL_S,
    ImportJob,
    ImportJobError,
    JobProgressFn,
    JobResult,
    _explain,
    _Sender,
    _stop,
    run_job,
)
from core.library.index_cache import IndexCache, IndexRefresh
from core.progress import Cancelled, CancelToken

PROCESS_NAME = "faceorg-import"  # as run_in_child's child: one name for "our import process"
IDLE_S = 1.0  # between jobs, how often the child looks whether the library changed (its index follows)


@dataclass(frozen=True)
class WarmSpec:
    """Which models the child loads before its first job (the library's import settings), and
    ``library``: whose photo index it reads then (:mod:`core.library.index_cache`; None: at the
    first import)."""

    detector: str = DEFAULT_DETECTOR
    embedder: dict[str, Any] = field(default_factory=dict)
    library: str | None = None


@dataclass(frozen=True)
class WorkerStats:
    """The child's own count: ``pid``; ``models_loaded``: face pipelines it built (one per distinct
    detector + embedder settings); ``jobs``: jobs it has run, this one included; ``index``: how
    this job's import got the library's photo index (kept from the jobs before, the chunks that
    changed read again, or read in full; None: no import)."""

    pid: int
    models_loaded: int
    jobs: int
    index: IndexRefresh | None = None


# -- the child's side ------------------------------------------------------------------------------
class _Pipelines:
    """The child's face pipelines, one per (detector, embedder settings), kept across jobs."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
        self.loaded = 0

    def get(self, detector: str, embedder: dict[str, Any]) -> Any:
        key = (detector, tuple(sorted(embedder.items())))
        if key not in self.cache:
            from core.embedding.settings import EmbedderSettings
            from core.pipeline import FacePipeline, PipelineSettings

            pipeline = FacePipeline(PipelineSettings(detector=detector, embedder=EmbedderSettings(**embedder)))
            pipeline.embedder  # noqa: B018 - loads torch and the network's weights now
            pipeline.detector()  # and the detector's code (each import thread makes its own)
            self.cache[key] = pipeline
            self.loaded += 1
        return self.cache[key]


class _Commands:
    """Reads the parent's commands on a thread: jobs into a queue, cancels onto their tokens. A
    job cancelled before it started (the child still loads its models) is answered at once."""

    def __init__(self, commands: Connection, sender: _Sender) -> None:
        self.jobs: queue.Queue[tuple[int, ImportJob] | str | None] = queue.Queue()  # str: a library to index
        self.sender = sender
        self.lock = threading.Lock()
        self.pending: set[int] = set()  # received, not started
        self.answered: set[int] = set()  # cancelled before they started: skipped
        self.tokens: dict[int, CancelToken] = {}
        self.busy = False  # a job runs (between token() and finished())
        threading.Thread(target=self._read, args=(commands,), name="faceorg-worker-commands", daemon=True).start()

    def token(self, job_id: int) -> CancelToken | None:
        """The job starts: its cancel token (None: it was cancelled before, skip it)."""
        with self.lock:
            self.pending.discard(job_id)
            if job_id in self.answered:
                return None
            token = CancelToken()
            self.tokens, self.busy = {job_id: token}, True
        return token

    def finished(self) -> None:
        with self.lock:
            self.tokens, self.busy = {}, False

    def _end(self) -> None:
        """Quit, or the parent is gone: a running job is cancelled and ends cleanly; an idle (or
        still warming) child, which writes nothing, exits at once."""
        with self.lock:
            if not self.busy:
                os._exit(0)
        self._cancel(None)

    def _cancel(self, job_id: int | None) -> None:
        with self.lock:
            if job_id is not None and job_id in self.pending:
                self.pending.discard(job_id)
                self.answered.add(job_id)
                self.sender.send(("cancelled", None))
                return
            for known, token in self.tokens.items():
                if job_id is None or known == job_id:
                    token.cancel()

    def _read(self, commands: Connection) -> None:
        try:
            while True:
                message = commands.recv()
                if message[0] == "job":
                    with self.lock:
                        self.pending.add(message[1])
                    self.jobs.put((message[1], message[2]))
                elif message[0] == "cancel":
                    self._cancel(message[1])
                elif message[0] == "index":
                    self.jobs.put(message[1])
                elif message[0] == "quit":
                    break
        except (EOFError, OSError):  # the parent is gone
            pass
        self._end()
        self.jobs.put(None)


def worker_main(events: Connection, commands: Connection, warm: WarmSpec | None) -> None:
    """The child process: load the models, say ready, then run jobs until told to quit."""
    sender = _Sender(events)
    inbox = _Commands(commands, sender)
    pipelines = _Pipelines()
    cache = IndexCache()  # the library's photo index, kept between jobs
    jobs = 0
    try:
        if warm is not None:
            pipelines.get(warm.detector, warm.embedder)
        import core.library.grouping  # noqa: F401 - the rest of a job's heavy modules, loaded now
        import core.library.importer  # noqa: F401
        import core.storage.engine  # noqa: F401
    except Exception:  # noqa: BLE001 - a job with these settings will say what is wrong
        traceback.print_exc()
    sender.send(("ready", WorkerStats(os.getpid(), pipelines.loaded, jobs)))
    if warm is not None and warm.library:
        cache.prime(warm.library)
    while True:
        try:
            item = inbox.jobs.get(timeout=IDLE_S)
        except queue.Empty:
            cache.idle()  # another process wrote: read what changed now, not at the next import
            continue
        if item is None:
            break
        if isinstance(item, str):  # the app opened another library: read its index now
            cache.prime(item)
            continue
        job_id, job = item
        cancel = inbox.token(job_id)
        if cancel is None:
            continue
        jobs += 1
        sender.last, sender.last_key = 0.0, ("", "", "")  # a new job: its first progress goes out
        try:
            pipeline = pipelines.get(job.detector, job.embedder) if job.paths else None
            cache.last = None
            result = run_job(job, sender.progress, cancel, pipeline=pipeline, index_cache=cache)
            index = cache.last if job.paths else None
            sender.send(("done", (result, WorkerStats(os.getpid(), pipelines.loaded, jobs, index))))
            if job.paths and cache.path is not None:
                cache.prime(cache.path)  # what this job wrote, read now: the next import reads nothing
        except Cancelled:
            sender.send(("cancelled", None))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            sender.send(("error", (type(exc).__name__, _explain(exc, job.library), traceback.format_exc())))
        finally:
            inbox.finished()
    events.close()


# -- the parent's side -----------------------------------------------------------------------------
class ImportWorker:
    """The warm import process, seen from the parent; one job at a time (see the module doc)."""

    def __init__(self, warm: WarmSpec | None = None) -> None:
        self.warm = warm
        self.stats: WorkerStats | None = None  # what the child said with its last result
        self._lock = threading.Lock()  # the process and its pipes
        self._busy = threading.Lock()  # one job at a time
        self._process: Any = None
        self._events: Connection | None = None
        self._commands: Connection | None = None
        self._next_id = 0
        self._indexed: str | None = None  # the library the child was told to keep the index of

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs, else None."""
        with self._lock:
            alive = self._process is not None and self._process.is_alive()
            return self._process.pid if alive else None

    def start(self) -> int:
        """Spawn the child if none runs (it loads the models in the background); its pid. A child
        that runs is told of a new ``warm.library``: it reads that library's index now."""
        with self._lock:
            if self._process is not None and not self._process.is_alive():
                self._discard(0.0)
            if self._process is None:
                ctx = multiprocessing.get_context("spawn")
                events_in, events_out = ctx.Pipe(duplex=False)
                commands_in, commands_out = ctx.Pipe(duplex=False)
                process = ctx.Process(target=worker_main, args=(events_out, commands_in, self.warm),
                                      name=PROCESS_NAME, daemon=True)
                process.start()
                events_out.close()  # the child has its own copies: each side sees the other's end as EOF
                commands_in.close()
                self._process, self._events, self._commands = process, events_in, commands_out
                self._indexed = None if self.warm is None else self.warm.library
            library = None if self.warm is None else self.warm.library
            if library and library != self._indexed and self._commands is not None:
                _put(self._commands, ("index", library))
                self._indexed = library
            return int(self._process.pid or 0)

    def run(self, job: ImportJob, *, progress: JobProgressFn | None = None, cancel: CancelToken | None = None,
            grace_s: float = GRACE_S, started: Callable[[int], None] | None = None) -> JobResult:
        """Run ``job`` in the warm child (started now if none runs) and wait for it; returns its
        :class:`JobResult`, raises :class:`Cancelled` when cancelled before it had one and
        :class:`ImportJobError` when it failed. The child stays for the next job unless it died
        or had to be killed."""
        with self._busy:
            pid = self.start()
            events, commands = self._events, self._commands
            assert events is not None and commands is not None
            self._next_id += 1
            job_id = self._next_id
            if not _put(commands, ("job", job_id, job)):
                self._discard(0.0)
                pid = self.start()
                events, commands = self._events, self._commands
                assert events is not None and commands is not None
                _put(commands, ("job", job_id, job))
            if started is not None:
                started(pid)
            return self._wait(job_id, events, commands, progress, cancel, grace_s)

    def _wait(self, job_id: int, events: Connection, commands: Connection, progress: JobProgressFn | None,
              cancel: CancelToken | None, grace_s: float) -> JobResult:
        cancelled_at: float | None = None
        while True:
            if cancel is not None and cancel.cancelled and cancelled_at is None:
                cancelled_at = time.monotonic()
                _put(commands, ("cancel", job_id))
            if cancelled_at is not None and time.monotonic() - cancelled_at > grace_s:
                with self._lock:
                    self._discard(0.0)  # overdue: killed; the next job gets a fresh child
                raise Cancelled()
            try:
                if not events.poll(POLL_S):
                    continue
                kind, payload = events.recv()
            except (EOFError, OSError):  # the child exited without a word (crashed or killed)
                with self._lock:
                    exitcode = self._discard(grace_s)
                if cancelled_at is not None:
                    raise Cancelled() from None
                raise ImportJobError(f"the import process stopped unexpectedly (exit code {exitcode})") from None
            if kind == "progress":
                if progress is not None:
                    progress(*payload)
            elif kind == "ready":
                self.stats = payload
            elif kind == "done":
                result, self.stats = payload
                return result
            elif kind == "cancelled":
                raise Cancelled()
            elif kind == "error":
                name, text, detail = payload
                raise ImportJobError(text or name, name, detail)

    def close(self, wait_s: float = GRACE_S) -> None:
        """Stop the child (a running job is cancelled; it may take ``wait_s`` to stop)."""
        with self._lock:
            if self._commands is not None:
                _put(self._commands, ("quit",))
            self._discard(wait_s)

    def _discard(self, wait_s: float) -> int | None:
        """Close the pipes, stop the child (``wait_s`` to exit by itself); its exit code. Holds _lock."""
        for connection in (self._commands, self._events):
            if connection is not None:
                connection.close()
        process, self._process, self._events, self._commands = self._process, None, None, None
        return None if process is None else _stop(process, wait_s)


def _put(connection: Connection, message: tuple[Any, ...]) -> bool:
    try:
        connection.send(message)
        return True
    except OSError:  # the child already exited
        return False

