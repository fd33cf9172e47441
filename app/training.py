"""Training a model and switching the library to it, on the heavy worker thread (the core training-run
service :mod:`core.training.runs` and :mod:`core.library.active_model`), with progress, cancel and the outcome
brought back by signals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.store import LibraryStore
from app.tasks import Task

if TYPE_CHECKING:  # core is imported on the worker thread only: the window starts without torch
    from core.training.runs import RunOutcome

MODES = ("personal", "finetune", "scratch")


@dataclass
class TrainStatus:
    """One progress update: the phase message, steps done/total and the latest loss (if any)."""

    message: str
    done: int = 0
    total: int | None = None
    loss: float | None = None


def _status(p: Any) -> TrainStatus:
    extra = dict(getattr(p, "extra", {}) or {})
    loss = extra.get("loss")
    return TrainStatus(str(getattr(p, "message", "")), int(getattr(p, "done", 0)), getattr(p, "total", None),
                       None if loss is None else float(loss))


def _personal(library: Any, epochs: int | None, progress: Any, cancel: Any) -> RunOutcome:
    from core.library.named_faces import named_embeddings
    from core.training.runs import LabelledEmbeddings, RunRequest, plan_run, run_training

    run = plan_run(RunRequest("personal", epochs=epochs))
    data = named_embeddings(library, sources=run.config.sources, progress=progress)
    return run_training(run, named=LabelledEmbeddings(data.embeddings, data.labels, data.source), progress=progress,
                        cancel=cancel)


def _finetune(data: Path, epochs: int | None, progress: Any, cancel: Any) -> RunOutcome:
    """Fold 0 of the LFW protocol measures it, then one model on every LFW person is saved."""
    from core.training.runs import RunRequest, run_training

    return run_training(RunRequest("finetune", data, epochs=epochs, folds=(0,), final=True), progress=progress,
                        cancel=cancel)


def _scratch(data: Path, epochs: int | None, progress: Any, cancel: Any) -> RunOutcome:
    from core.training.runs import RunRequest, run_training

    return run_training(RunRequest("scratch", data, epochs=epochs, save=False), progress=progress, cancel=cancel)


class TrainingController(QObject):
    """Runs one training (or one model switch) at a time on the heavy pool."""

    progress = Signal(object)  # TrainStatus
    finished = Signal(object)  # RunOutcome
    switched = Signal(object)  # core ReembedReport
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, store: LibraryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.task: Task | None = None

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self, mode: str, data: Path | None = None, epochs: int | None = None) -> bool:
        """Train in the background; False if something runs already or the inputs are missing."""
        if self.running or mode not in MODES:
            return False
        library = self.store.library
        if mode == "personal" and library is None:
            return False
        if mode != "personal" and (data is None or not Path(data).is_dir()):
            return False

        def work(progress: Any, cancel: Any) -> RunOutcome:
            def report(p: Any) -> None:
                progress(_status(p))

            if mode == "personal":
                return _personal(library, epochs, report, cancel)
            run = _finetune if mode == "finetune" else _scratch
            return run(Path(data), epochs, report, cancel)  # type: ignore[arg-type]

        self.task = self.store.runner.submit(work, pool="heavy", name=f"train {mode}", on_done=self._done,
                                             on_error=self._failed, on_progress=self.progress.emit,
                                             on_cancelled=self._cancelled, cancellable=True)
        return True

    def use(self, model: Any) -> bool:
        """Make ``model`` (core ``ModelInfo``) the library's model, re-embedding what is missing."""
        library = self.store.library
        if self.running or library is None or library.read_only:
            return False

        def work(progress: Any, cancel: Any) -> Any:
            from core.library.active_model import use_model

            return use_model(library, model, progress=lambda p: progress(_status(p)), cancel=cancel)

        self.task = self.store.runner.submit(work, pool="heavy", name="use model", on_done=self._switched,
                                             on_error=self._failed, on_progress=self.progress.emit,
                                             on_cancelled=self._cancelled, cancellable=True)
        return True

    def cancel(self) -> None:
        """Stop at the next check (training keeps its checkpoints; re-embedding keeps its batches)."""
        if self.task is not None:
            self.task.cancel()

    def _done(self, outcome: RunOutcome) -> None:
        self.task = None
        self.finished.emit(outcome)

    def _switched(self, report: Any) -> None:
        self.task = None
        self.switched.emit(report)
        self.store.changed.emit()

    def _cancelled(self) -> None:
        self.task = None
        self.cancelled.emit()

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self.failed.emit(str(exc) or type(exc).__name__)
