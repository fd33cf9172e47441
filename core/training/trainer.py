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
"""

from __future__ import annotations

import dataclasses
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

from core.progress import Cancelled, CancelToken, ProgressFn, check, report
from core.training.averaging import WeightAverage
from core.training.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from core.training.curves import save_loss_curve
from core.training.distributed import rank_and_world, resolve_device
from core.training.losses import Reduction, TripletLoss
from core.training.miners import MinerName, make_miner
from core.training.repeatability import SeededBatches, SeededItems, deterministic_cudnn, step_generator
from core.training.samplers import PKBatchSampler

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


# settings a resumed run must share with the checkpoint (else the trajectory would silently change)
_TRAJECTORY = ("P", "K", "lr", "weight_decay", "margin", "miner", "seed", "lr_schedule", "loss_reduction",
               "average_epochs")
_DEFAULTS = {"average_epochs": False}  # settings added later: what a checkpoint without them was written with


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


def _check_compatible(saved: dict[str, Any], config: TrainConfig, spe: int, world: int) -> None:
    diffs = {k: (saved.get(k, _DEFAULTS.get(k)), getattr(config, k)) for k in _TRAJECTORY
             if saved.get(k, _DEFAULTS.get(k)) != getattr(config, k)}
    if saved.get("resolved_steps_per_epoch") != spe:
        diffs["steps_per_epoch"] = (saved.get("resolved_steps_per_epoch"), spe)
    if saved.get("world_size", 1) != world:
        diffs["world_size"] = (saved.get("world_size", 1), world)
    if config.lr_schedule == "cosine" and saved.get("epochs") != config.epochs:
        diffs["epochs"] = (saved.get("epochs"), config.epochs)
    if diffs:
        raise ValueError(f"checkpoint was written with other settings (saved, now): {diffs}")


def _sync_stats(values: list[float], device: torch.device, world: int) -> list[float]:
    """Sum ``values`` over ranks (returned unchanged without a process group)."""
    if world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def train(model: nn.Module, dataset: LabelledDataset, config: TrainConfig, *,
          val_fn: Callable[[nn.Module], float] | None = None, progress: ProgressFn | None = None,
          cancel: CancelToken | None = None, log_dir: str | Path | None = None,
          checkpoint_dir: str | Path | None = None, resume: bool = True) -> TrainResult:
    """Train ``model`` (in place) with triplet loss on ``dataset`` (needs ``.labels``); see module doc."""
    t0 = time.perf_counter()
    rank, world = rank_and_world()
    lead = rank == 0
    device = resolve_device(config.device, rank)
    model.to(device)
    net: nn.Module = model
    if world > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = PKBatchSampler(dataset.labels, config.P, config.K, batches_per_epoch=config.steps_per_epoch,
                             seed=config.seed, rank=rank, world_size=world)
    spe = sampler.batches_per_epoch
    total = config.epochs * spe
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                  weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factor(config.lr_schedule, total))
    miner = make_miner(config.miner, config.margin)
    loss_fn = TripletLoss(config.margin, config.loss_reduction)
    hist: dict[str, Any] = {"losses": [], "active": [], "epoch_losses": [], "val_scores": [],
                            "best_val": None, "best_epoch": None}
    best_state: dict[str, torch.Tensor] | None = None
    average = WeightAverage()
    torch.manual_seed(config.seed + rank)
    step, resumed_from = 0, None
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ckpt_dir is not None and resume and (info := latest_checkpoint(ckpt_dir)) is not None:
        state = load_checkpoint(info.path)
        _check_compatible(state["config"], config, spe, world)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        hist, best_state = state["history"], state["best_state"]
        if state.get("average") is not None:
            average.load_state_dict(state["average"])
        set_rng_state(state["rng"][rank])
        step = resumed_from = int(state["global_step"])
        last_ckpt: Path | None = info.path
    else:
        last_ckpt = None

    def save() -> None:
        nonlocal last_ckpt
        if ckpt_dir is None:
            return
        rngs: list[Any] = [rng_state()]
        if world > 1:
            rngs = [None] * world
            dist.all_gather_object(rngs, rng_state())
        if lead:
            cfg = dataclasses.asdict(config) | {"resolved_steps_per_epoch": spe, "world_size": world}
            payload = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                       "scheduler": scheduler.state_dict(), "global_step": step, "epoch": step // spe,
                       "batch": step % spe, "history": hist, "best_state": best_state, "rng": rngs,
                       "config": cfg, "average": average.state_dict() if config.average_epochs else None}
            last_ckpt = save_checkpoint(ckpt_dir, payload, step, config.keep_checkpoints)
        if world > 1:
            dist.barrier()

    loader = DataLoader(SeededItems(dataset), batch_sampler=SeededBatches(sampler, config.seed),
                        num_workers=config.num_workers, pin_memory=device.type == "cuda",
                        persistent_workers=config.num_workers > 0,
                        generator=torch.Generator().manual_seed(config.seed))
    writer = None
    if log_dir is not None and lead:
        from torch.utils.tensorboard import SummaryWriter  # slow import, only when logging

        writer = SummaryWriter(str(log_dir))

    def finish_epoch(epoch: int) -> None:
        nonlocal best_state
        ep = hist["losses"][epoch * spe:(epoch + 1) * spe]
        hist["epoch_losses"].append(sum(ep) / len(ep))
        if config.average_epochs:
            average.update(model)
        if val_fn is not None:
            score = _validate(model, val_fn, device, lead, world)
            hist["val_scores"].append(score)
            if hist["best_val"] is None or score > hist["best_val"]:
                hist["best_val"], hist["best_epoch"] = score, epoch + 1
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if lead:
                report(progress, step, total, f"epoch {epoch + 1}/{config.epochs} validated",
                       epoch=epoch + 1, step=step, val_score=score)
            if writer is not None:
                writer.add_scalar("val/score", score, step)
        if writer is not None:
            writer.add_scalar("train/epoch_loss", hist["epoch_losses"][-1], step)
        save()

    if world == 1:
        check(cancel)
    try:
        with deterministic_cudnn():
            if len(hist["epoch_losses"]) < step // spe:  # cancelled right after an epoch's last step
                finish_epoch(step // spe - 1)
            for epoch in range(step // spe, config.epochs):
                sampler.set_epoch(epoch, step - epoch * spe)
                net.train()
                for x, y in loader:
                    x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                    emb = net(x)
                    triplets = miner(emb.detach(), y, step_generator(config.seed, step, rank))
                    res = loss_fn(emb, y, triplets)
                    optimizer.zero_grad(set_to_none=True)
                    res.loss.backward()
                    optimizer.step()
                    scheduler.step()
                    step += 1
                    loss, active = _sync_stats([res.loss.item(), res.active_fraction], device, world)
                    loss, active = loss / world, active / world
                    hist["losses"].append(loss)
                    hist["active"].append(active)
                    lr = optimizer.param_groups[0]["lr"]
                    if lead:
                        report(progress, step, total, f"epoch {epoch + 1}/{config.epochs}", epoch=epoch + 1,
                               step=step, loss=loss, active_fraction=active, lr=lr)
                    if writer is not None:
                        writer.add_scalar("train/loss", loss, step)
                        writer.add_scalar("train/active_fraction", active, step)
                        writer.add_scalar("train/lr", lr, step)
                    if _sync_stats([float(cancel is not None and cancel.cancelled)], device, world)[0]:
                        save()
                        raise Cancelled()
                    if config.checkpoint_every and step % config.checkpoint_every == 0 and step % spe:
                        save()
                finish_epoch(epoch)
    finally:
        if writer is not None:
            writer.close()
    if config.average_epochs and average.count:
        model.load_state_dict(average.averaged(model))
    elif config.restore_best and best_state is not None:
        model.load_state_dict(best_state)
    if world > 1:
        for buf in model.buffers():  # BatchNorm statistics: make every rank end with rank 0's
            dist.broadcast(buf.data, 0)
    curve = None
    if log_dir is not None and lead:
        curve = save_loss_curve(Path(log_dir) / "loss_curve.png", hist["losses"], steps_per_epoch=spe,
                                val_scores=hist["val_scores"])
    return TrainResult(list(hist["losses"]), list(hist["active"]), list(hist["epoch_losses"]),
                       list(hist["val_scores"]), hist["best_epoch"], hist["best_val"], step, spe,
                       time.perf_counter() - t0, str(device), world, resumed_from, last_ckpt, curve)


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
