"""Training runs, one service for ``faceorg train`` and the app's Train dialog.

:func:`plan_run` *chooses* a run's settings (the mode's defaults with the caller's overrides) and *keys* its
work dirs by them: a run keeps its checkpoints and finished folds under ``<cache dir>/training/<kind>-<key>``,
the key covering its settings and the face pipeline's (detector, crop, standardisation) -- and for the 10-fold
protocol :data:`core.training.finetune.PROTOCOL_VERSION`, the LFW folder, ``limit`` and the jittered views -- so
a run with other settings or other faces never resumes from this one's results. :func:`run_training` *resumes*
the run from its work dir (``restart``: starts over), trains, and *adopts*: it saves the model and says
whether it is better than the pretrained one (``RunOutcome.adopted`` and ``reason``). Switching a library to
the saved model is the caller's step (:func:`core.library.active_model.use_model`).

Modes: ``personal`` (a metric head on the library's named faces, passed in as :class:`LabelledEmbeddings`),
``finetune`` (LFW 10-fold protocol on ``folds`` and/or ``final``: one model on every LFW person, saved) and
``scratch`` (the seed CNN on 62 LFW people, a research model the library cannot use).
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.modelstore.registry import ModelInfo
from core.progress import CancelToken, ProgressFn

if TYPE_CHECKING:
    from core.training.trainer import TrainConfig

MODES = ("personal", "finetune", "scratch")


@dataclass(frozen=True)
class RunRequest:
    """What to train: the mode and the caller's overrides of its defaults (None: the mode's own)."""

    mode: str
    data: Path | None = None        # LFW folder (scratch, finetune)
    epochs: int | None = None
    device: str | None = None       # "auto" | "cpu" | "cuda"; None: the mode's default
    views: int | None = None        # finetune: jittered views per face (None: lfw_views.DEFAULT_VIEWS)
    limit: int | None = None        # finetune: only the first N LFW images (smoke runs)
    folds: tuple[int, ...] = ()     # finetune: folds of the 10-fold protocol to run (measured before/after)
    final: bool = False             # finetune: train one model on every LFW person and save it
    name: str | None = None         # name of the saved model (default <mode>-<date>-<time>)
    save: bool = True               # scratch: save the research model in the models folder
    restart: bool = False           # forget the checkpoints and finished folds of an earlier run


@dataclass(frozen=True)
class TrainingRun:
    """A chosen run: its request, its settings (PersonalConfig, TrainConfig or ScratchConfig) and work dirs."""

    request: RunRequest
    config: Any
    work_dirs: dict[str, Path] = field(default_factory=dict)  # "folds", "final", "scratch"
    views: int = 0


@dataclass(frozen=True)
class LabelledEmbeddings:
    """Training data of a personal run: stored embeddings, a person label per row, and their origin (for the
    saved model's metadata), e.g. :class:`core.library.named_faces.NamedEmbeddings`."""

    embeddings: np.ndarray
    labels: np.ndarray
    source: str


@dataclass
class RunOutcome:
    """What a run gave: the measure before/after (``metric`` names it), whether the model is worth using and
    why, the saved model, the loss curve, and the mode's own result(s)."""

    mode: str
    metric: str
    before: float | None
    after: float | None
    adopted: bool
    reason: str
    model: ModelInfo | None
    losses: list[float]
    run: TrainingRun
    result: Any = None   # PersonalResult | ScratchResult | FoldsReport (finetune with folds)
    final: Any = None    # FinalModel (finetune with final)


def work_dir(kind: str, *parts: Any) -> Path:
    """``<cache>/training/<kind>-<key>``: the key covers ``parts`` and the face pipeline's settings."""
    from core.paths import cache_dir
    from core.pipeline import PipelineSettings

    key = hashlib.sha256(repr((parts, dataclasses.asdict(PipelineSettings()))).encode()).hexdigest()[:12]
    return cache_dir() / "training" / f"{kind}-{key}"


def folds_work_dir(config: Any, data: str | Path, limit: int | None = None, views: int = 0) -> Path:
    """The work dir of the 10-fold protocol with this TrainConfig and number of jittered views: its finished
    folds' results and each fold's checkpoints (which hold the fold's best head)."""
    from core.training.finetune import PROTOCOL_VERSION

    key = (dataclasses.asdict(config), limit, str(data), PROTOCOL_VERSION) + ((views,) if views else ())
    return work_dir("folds", *key)


def final_work_dir(config: Any, data: str | Path, limit: int | None = None, views: int = 0) -> Path:
    """The checkpoints of a final fine-tuning (every LFW person) with these settings."""
    return work_dir("final", dataclasses.asdict(config), limit, str(data), *((views,) if views else ()))


def _overrides(train: TrainConfig, request: RunRequest, device: bool = True) -> TrainConfig:
    """``train`` with the request's epochs (and device) where it gives them."""
    if request.epochs:
        train = dataclasses.replace(train, epochs=request.epochs)
    if device and request.device:
        train = dataclasses.replace(train, device=request.device)
    return train


def plan_run(request: RunRequest) -> TrainingRun:
    """Choose the run's settings and key its work dirs (nothing is read or written)."""
    mode = request.mode
    if mode == "personal":
        from core.training.personal import PersonalConfig

        personal = PersonalConfig()
        return TrainingRun(request, dataclasses.replace(personal, train=_overrides(personal.train, request, False)))
    if mode not in MODES:
        raise ValueError(f"unknown training mode {mode!r} (one of {', '.join(MODES)})")
    data = _lfw(request)
    if mode == "scratch":
        from core.training.scratch import ScratchConfig

        scratch = ScratchConfig()
        scratch = dataclasses.replace(scratch, train=_overrides(scratch.train, request))
        return TrainingRun(request, scratch, {"scratch": work_dir("scratch", dataclasses.asdict(scratch))})
    from core.training.lfw_finetune import default_train_config
    from core.training.lfw_views import DEFAULT_VIEWS

    cfg = _overrides(default_train_config(), request)
    views = DEFAULT_VIEWS if request.views is None else request.views
    dirs = {}
    if request.folds:
        dirs["folds"] = folds_work_dir(cfg, data, request.limit, views)
    if request.final:
        dirs["final"] = final_work_dir(cfg, data, request.limit, views)
    if not dirs:
        raise ValueError("a finetune run needs folds to measure or a final model to train")
    return TrainingRun(request, cfg, dirs, views)


def _lfw(request: RunRequest) -> Path:
    if request.data is None:
        raise ValueError(f"a {request.mode} run needs an LFW folder")
    return request.data


def run_training(run: TrainingRun | RunRequest, *, named: LabelledEmbeddings | None = None,
                 models_directory: str | Path | None = None, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> RunOutcome:
    """Resume (or, with ``restart``, start over) and finish the run; save its model and decide on adoption.
    A personal run needs ``named``. Cancel raises :class:`core.progress.Cancelled` with the checkpoints kept:
    the same run resumes."""
    run = run if isinstance(run, TrainingRun) else plan_run(run)
    if run.request.restart:
        for d in run.work_dirs.values():
            shutil.rmtree(d, ignore_errors=True)
    mode = run.request.mode
    if mode == "personal":
        if named is None:
            raise ValueError("a personal run needs the library's named faces")
        return _personal(run, named, models_directory, progress, cancel)
    if mode == "scratch":
        return _scratch(run, models_directory, progress, cancel)
    return _finetune(run, models_directory, progress, cancel)


def _personal(run: TrainingRun, named: LabelledEmbeddings, models_directory: str | Path | None,
              progress: ProgressFn | None, cancel: CancelToken | None) -> RunOutcome:
    from core.training.personal import train_personal

    res = train_personal(named.embeddings, named.labels, run.config, source=named.source, name=run.request.name,
                         models_directory=models_directory, progress=progress, cancel=cancel)
    return RunOutcome("personal", f"Recognition of held-out faces ({res.n_test} faces, {res.n_people} people)",
                      res.accuracy_before, res.accuracy_after, res.adopted, res.reason, res.model, list(res.losses),
                      run, res)


def _scratch(run: TrainingRun, models_directory: str | Path | None, progress: ProgressFn | None,
             cancel: CancelToken | None) -> RunOutcome:
    from core.modelstore.registry import new_model_name, save_trained
    from core.modelstore.saved_model import load_model
    from core.training.scratch import SEED_NOTEBOOK_ACCURACY, train_scratch

    res = train_scratch(_lfw(run.request), config=run.config, progress=progress, cancel=cancel,
                        out_dir=run.work_dirs["scratch"])
    model = None
    if res.model_path is not None and run.request.save:
        loaded = load_model(res.model_path)
        model = save_trained(loaded.model, run.request.name or new_model_name("scratch"),
                             {**loaded.metadata, "metrics": {"seed_test_accuracy": res.test_accuracy, "k": res.k}},
                             directory=models_directory)
    return RunOutcome("scratch", "62-way identification (seed notebook vs this CNN)", SEED_NOTEBOOK_ACCURACY,
                      res.test_accuracy, False, "a 60x60 research model: it cannot embed the library's faces", model,
                      list(res.train.losses), run, res)


def _finetune(run: TrainingRun, models_directory: str | Path | None, progress: ProgressFn | None,
              cancel: CancelToken | None) -> RunOutcome:
    from core.modelstore.registry import new_model_name
    from core.training.lfw_finetune import run_folds, train_final

    req, cfg = run.request, run.config
    folds = final = None
    if "folds" in run.work_dirs:
        folds = run_folds(_lfw(req), run.work_dirs["folds"], folds=req.folds, config=cfg, limit=req.limit,
                          views=run.views, progress=progress, cancel=cancel)
    if "final" in run.work_dirs:
        final = train_final(_lfw(req), req.name or new_model_name("finetuned"), config=cfg, limit=req.limit,
                            checkpoint_dir=run.work_dirs["final"], views=run.views, models_directory=models_directory,
                            progress=progress, cancel=cancel)
        shutil.rmtree(run.work_dirs["final"], ignore_errors=True)  # saved: a re-run trains a new model
    if folds is None:
        which, better = "not measured", final is not None
        reason = "trained on every LFW person: no held-out faces are left to measure it on"
    else:
        which = f"fold {req.folds[0]}" if len(req.folds) == 1 else f"{len(req.folds)}-fold mean"
        better = folds.mean_after > folds.mean_before
        reason = (f"LFW {which} verification {folds.mean_before:.2%} -> {folds.mean_after:.2%}; "
                  f"{'better' if better else 'not better'} than the pretrained model")
    return RunOutcome("finetune", f"LFW verification ({which})", folds.mean_before if folds else None,
                      folds.mean_after if folds else None, better, reason, final.model if final else None,
                      list(final.train.losses) if final else [], run, folds, final)
