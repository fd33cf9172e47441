"""The triplet-loss training loop: ``train(model, dataset, config, ...) -> TrainResult``.

* Batches: P x K (:class:`~core.training.samplers.PKBatchSampler`); embeddings -> miner -> triplet loss
  (averaged over active triplets) -> AdamW (``weight_decay=0`` is Adam).
* Repeatable: the sampler is a function of ``(seed, epoch)``; each sample's augmentation runs under a torch
  seed derived from ``(seed, epoch, batch, rank)`` (so it does not depend on ``num_workers`` or on
  resuming); the miner's randomness is seeded per step; torch's global RNG (dropout) is seeded with
  ``seed + rank`` at the start and checkpointed. Two CPU runs with the same seed and thread count give
  identical losses; cuDNN is put in deterministic mode for the run.
* Checkpoints (``checkpoint_dir``): after every epoch, every ``checkpoint_every`` steps and on cancel,
  atomically; with ``resume`` the newest one is picked up and the run continues exactly where it stopped.
* Cancel: checked after every step; the run saves a checkpoint (when it has a ``checkpoint_dir``) and
  raises :class:`core.progress.Cancelled`, like every core function. Calling ``train`` again resumes.
* Progress: ``report(progress, step, total, msg, epoch=, step=, loss=, active_fraction=, lr=)`` every step
  and ``val_score=`` after each validation. ``val_fn(model) -> float`` (higher is better) runs after each
  epoch in eval mode under ``no_grad``; with ``restore_best`` the best epoch's weights are kept at the end,
  with ``average_epochs`` the mean of the epochs' last weights (stochastic weight averaging).
* ``log_dir``: TensorBoard scalars and ``loss_curve.png``.
* Data-parallel: inside an initialised ``torch.distributed`` process group (see
  :func:`core.training.distributed.launch`) the model is wrapped in DDP and each rank trains on its own
  batches; losses are averaged over ranks; only rank 0 writes checkpoints/logs and reports progress.

:func:`train` reads top-down: ``_setup`` (device, DDP, sampler, optimiser, schedule, miner, loss: a
:class:`RunState`), the checkpoint hook's resume, then per epoch ``_train_steps`` (the step loop) and
``_end_epoch`` (mean loss, weight average, validation, checkpoint), and ``_final_weights``. Checkpointing and
logging are the small hooks of :mod:`core.training.train_hooks`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from core.progress import Cancelled, CancelToken, ProgressFn, check
from core.training.averaging import WeightAverage
from core.training.curves import save_loss_curve
from core.training.distributed import rank_and_world, resolve_device
from core.training.losses import Reduction, TripletLoss
from core.training.miners import MinerName, make_miner
from core.training.repeatability import SeededBatches, SeededItems, deterministic_cudnn, step_generator
from core.training.samplers import PKBatchSampler
from core.training.train_hooks import CheckpointHook, LogHook

if TYPE_CHECKING:
    from core.training.datasets import LabelledDataset


@dataclass(frozen=True)
class TrainConfig:
    """Training settings. ``steps_per_epoch=None``: about one pass over the images per epoch."""

    epochs: int = 10
    steps_per_epoch: int | None = None
    P: int = 16
    K: int = 4
    lr: float = 1e-3
    weight_decay: float = 0.0
    margin: float = 0.2
    miner: MinerName = "semihard"
    seed: int = 0
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
    num_workers: int = 0
    lr_schedule: Literal["constant", "cosine"] = "constant"
    loss_reduction: Reduction = "active"
    checkpoint_every: int = 0  # steps; 0: at epoch ends only
    keep_checkpoints: int = 2
    restore_best: bool = True
    # the final weights are the mean of the weights at the end of each epoch (stochastic weight averaging,
    # core.training.averaging); ``restore_best`` then does not apply
    average_epochs: bool = False


@dataclass(frozen=True)
class TrainResult:
    """Per-step ``losses``/``active_fractions`` (rank means), per-epoch ``epoch_losses``/``val_scores``."""

    losses: list[float]
    active_fractions: list[float]
    epoch_losses: list[float]
    val_scores: list[float]
    best_epoch: int | None  # 1-based
    best_val: float | None
    steps: int
    steps_per_epoch: int
    seconds: float
    device: str
    world_size: int
    resumed_from_step: int | None
    checkpoint: Path | None
    loss_curve: Path | None


def _lr_factor(schedule: str, total: int) -> Callable[[int], float]:
    if schedule == "constant":
        return lambda step: 1.0
    if schedule == "cosine":
        return lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(1, total)))
    raise ValueError(f"unknown lr_schedule {schedule!r}")


def _sync_stats(values: list[float], device: torch.device, world: int) -> list[float]:
    """Sum ``values`` over ranks (returned unchanged without a process group)."""
    if world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


@dataclass
class RunState:
    """One run's moving parts and its state (what a checkpoint holds)."""

    model: nn.Module
    net: nn.Module  # the model, or its DDP wrapper
    config: TrainConfig
    sampler: PKBatchSampler
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    miner: Callable[..., Any]
    loss_fn: TripletLoss
    device: torch.device
    rank: int
    world: int
    hist: dict[str, Any]
    average: WeightAverage
    best_state: dict[str, torch.Tensor] | None = None
    step: int = 0
    resumed_from: int | None = None

    @property
    def lead(self) -> bool:
        return self.rank == 0

    @property
    def spe(self) -> int:
        return self.sampler.batches_per_epoch

    @property
    def total(self) -> int:
        return self.config.epochs * self.spe


def _setup(model: nn.Module, dataset: LabelledDataset, config: TrainConfig) -> RunState:
    """Device, DDP wrapper, sampler, optimiser, schedule, miner and loss; torch's RNG seeded for this rank."""
    rank, world = rank_and_world()
    device = resolve_device(config.device, rank)
    model.to(device)
    net: nn.Module = model
    if world > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = PKBatchSampler(dataset.labels, config.P, config.K, batches_per_epoch=config.steps_per_epoch,
                             seed=config.seed, rank=rank, world_size=world)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                  weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _lr_factor(config.lr_schedule, config.epochs * sampler.batches_per_epoch))
    run = RunState(model, net, config, sampler, optimizer, scheduler, make_miner(config.miner, config.margin),
               TripletLoss(config.margin, config.loss_reduction), device, rank, world,
               {"losses": [], "active": [], "epoch_losses": [], "val_scores": [], "best_val": None,
                "best_epoch": None}, WeightAverage())
    torch.manual_seed(config.seed + rank)
    return run


def _train_steps(run: RunState, epoch: int, loader: DataLoader, log: LogHook, checkpoints: CheckpointHook,
                 cancel: CancelToken | None) -> None:
    """The rest of ``epoch``'s steps: batch -> embeddings -> mined triplets -> loss -> optimiser step."""
    config, hist = run.config, run.hist
    run.sampler.set_epoch(epoch, run.step - epoch * run.spe)
    run.net.train()
    for x, y in loader:
        x, y = x.to(run.device, non_blocking=True), y.to(run.device, non_blocking=True)
        emb = run.net(x)
        triplets = run.miner(emb.detach(), y, step_generator(config.seed, run.step, run.rank))
        res = run.loss_fn(emb, y, triplets)
        run.optimizer.zero_grad(set_to_none=True)
        res.loss.backward()
        run.optimizer.step()
        run.scheduler.step()
        run.step += 1
        loss, active = _sync_stats([res.loss.item(), res.active_fraction], run.device, run.world)
        loss, active = loss / run.world, active / run.world
        hist["losses"].append(loss)
        hist["active"].append(active)
        log.step(run, epoch, loss, active)
        if _sync_stats([float(cancel is not None and cancel.cancelled)], run.device, run.world)[0]:
            checkpoints.save(run)
            raise Cancelled()
        if config.checkpoint_every and run.step % config.checkpoint_every == 0 and run.step % run.spe:
            checkpoints.save(run)


def _end_epoch(run: RunState, epoch: int, val_fn: Callable[[nn.Module], float] | None, log: LogHook,
               checkpoints: CheckpointHook) -> None:
    """Epoch mean loss, the weight average, validation (and the best weights so far), then a checkpoint."""
    hist, spe = run.hist, run.spe
    ep = hist["losses"][epoch * spe:(epoch + 1) * spe]
    hist["epoch_losses"].append(sum(ep) / len(ep))
    if run.config.average_epochs:
        run.average.update(run.model)
    if val_fn is not None:
        score = _validate(run.model, val_fn, run.device, run.lead, run.world)
        hist["val_scores"].append(score)
        if hist["best_val"] is None or score > hist["best_val"]:
            hist["best_val"], hist["best_epoch"] = score, epoch + 1
            run.best_state = {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()}
        log.validated(run, epoch, score)
    log.epoch_end(run)
    checkpoints.save(run)


def _final_weights(run: RunState) -> None:
    """The weights the run ends on: the epochs' average, the best epoch's, or the last; the same on every rank."""
    if run.config.average_epochs and run.average.count:
        run.model.load_state_dict(run.average.averaged(run.model))
    elif run.config.restore_best and run.best_state is not None:
        run.model.load_state_dict(run.best_state)
    if run.world > 1:
        for buf in run.model.buffers():  # BatchNorm statistics: make every rank end with rank 0's
            dist.broadcast(buf.data, 0)


def train(model: nn.Module, dataset: LabelledDataset, config: TrainConfig, *,
          val_fn: Callable[[nn.Module], float] | None = None, progress: ProgressFn | None = None,
          cancel: CancelToken | None = None, log_dir: str | Path | None = None,
          checkpoint_dir: str | Path | None = None, resume: bool = True) -> TrainResult:
    """Train ``model`` (in place) with triplet loss on ``dataset`` (needs ``.labels``); see module doc."""
    t0 = time.perf_counter()
    run = _setup(model, dataset, config)
    checkpoints = CheckpointHook(checkpoint_dir)
    if resume:
        checkpoints.resume(run)
    loader = DataLoader(SeededItems(dataset), batch_sampler=SeededBatches(run.sampler, config.seed),
                        num_workers=config.num_workers, pin_memory=run.device.type == "cuda",
                        persistent_workers=config.num_workers > 0,
                        generator=torch.Generator().manual_seed(config.seed))
    log = LogHook(run, progress, log_dir)
    if run.world == 1:
        check(cancel)
    try:
        with deterministic_cudnn():
            if len(run.hist["epoch_losses"]) < run.step // run.spe:  # cancelled right after an epoch's last step
                _end_epoch(run, run.step // run.spe - 1, val_fn, log, checkpoints)
            for epoch in range(run.step // run.spe, config.epochs):
                _train_steps(run, epoch, loader, log, checkpoints, cancel)
                _end_epoch(run, epoch, val_fn, log, checkpoints)
    finally:
        log.close()
    _final_weights(run)
    curve = None
    if log_dir is not None and run.lead:
        curve = save_loss_curve(Path(log_dir) / "loss_curve.png", run.hist["losses"], steps_per_epoch=run.spe,
                                val_scores=run.hist["val_scores"])
    hist = run.hist
    return TrainResult(list(hist["losses"]), list(hist["active"]), list(hist["epoch_losses"]),
                       list(hist["val_scores"]), hist["best_epoch"], hist["best_val"], run.step, run.spe,
                       time.perf_counter() - t0, str(run.device), run.world, run.resumed_from, checkpoints.last, curve)


def _validate(model: nn.Module, val_fn: Callable[[nn.Module], float], device: torch.device, lead: bool,
              world: int) -> float:
    """``val_fn(model)`` on rank 0 in eval mode, shared with every rank."""
    score = 0.0
    if lead:
        model.eval()
        with torch.no_grad():
            score = float(val_fn(model))
        model.train()
    if world > 1:
        t = torch.tensor([score], dtype=torch.float64, device=device)
        dist.broadcast(t, 0)
        score = float(t.item())
    return score
