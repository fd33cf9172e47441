"""The training loop's hooks (:func:`core.training.trainer.train`): checkpoints and logging.

* :class:`CheckpointHook` resumes a run from the newest checkpoint of its directory (refusing one written with
  settings that would change the run's trajectory) and saves new ones: rank 0 writes, with every rank's RNG
  state (:mod:`core.training.checkpoint` holds the file format).
* :class:`LogHook` reports progress and writes TensorBoard scalars, on rank 0 only.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch.distributed as dist

from core.progress import ProgressFn, report
from core.training.checkpoint import latest_checkpoint, load_checkpoint, rng_state, save_checkpoint, set_rng_state

if TYPE_CHECKING:
    from core.training.trainer import RunState, TrainConfig

# settings a resumed run must share with the checkpoint (else the trajectory would silently change)
_TRAJECTORY = ("P", "K", "lr", "weight_decay", "margin", "miner", "seed", "lr_schedule", "loss_reduction",
               "average_epochs")
_DEFAULTS = {"average_epochs": False}  # settings added later: what a checkpoint without them was written with


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


class CheckpointHook:
    """Checkpoint hook: resumes a run from the newest checkpoint of ``directory`` and saves new ones (rank 0
    writes, with every rank's RNG state). Without a directory it does nothing."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.last: Path | None = None

    def resume(self, run: RunState) -> None:
        if self.directory is None or (info := latest_checkpoint(self.directory)) is None:
            return
        state = load_checkpoint(info.path)
        _check_compatible(state["config"], run.config, run.spe, run.world)
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        run.hist, run.best_state = state["history"], state["best_state"]
        if state.get("average") is not None:
            run.average.load_state_dict(state["average"])
        set_rng_state(state["rng"][run.rank])
        run.step = run.resumed_from = int(state["global_step"])
        self.last = info.path

    def save(self, run: RunState) -> None:
        if self.directory is None:
            return
        rngs: list[Any] = [rng_state()]
        if run.world > 1:
            rngs = [None] * run.world
            dist.all_gather_object(rngs, rng_state())
        if run.lead:
            cfg = dataclasses.asdict(run.config) | {"resolved_steps_per_epoch": run.spe, "world_size": run.world}
            payload = {"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
                       "scheduler": run.scheduler.state_dict(), "global_step": run.step, "epoch": run.step // run.spe,
                       "batch": run.step % run.spe, "history": run.hist, "best_state": run.best_state, "rng": rngs,
                       "config": cfg, "average": run.average.state_dict() if run.config.average_epochs else None}
            self.last = save_checkpoint(self.directory, payload, run.step, run.config.keep_checkpoints)
        if run.world > 1:
            dist.barrier()


class LogHook:
    """Logging hook: progress reports and TensorBoard scalars (rank 0 only; TensorBoard with a ``log_dir``)."""

    def __init__(self, run: RunState, progress: ProgressFn | None, log_dir: str | Path | None) -> None:
        self.progress = progress if run.lead else None
        self.writer = None
        if log_dir is not None and run.lead:
            from torch.utils.tensorboard import SummaryWriter  # slow import, only when logging

            self.writer = SummaryWriter(str(log_dir))

    def step(self, run: RunState, epoch: int, loss: float, active: float) -> None:
        lr = run.optimizer.param_groups[0]["lr"]
        report(self.progress, run.step, run.total, f"epoch {epoch + 1}/{run.config.epochs}", epoch=epoch + 1,
               step=run.step, loss=loss, active_fraction=active, lr=lr)
        if self.writer is not None:
            self.writer.add_scalar("train/loss", loss, run.step)
            self.writer.add_scalar("train/active_fraction", active, run.step)
            self.writer.add_scalar("train/lr", lr, run.step)

    def validated(self, run: RunState, epoch: int, score: float) -> None:
        report(self.progress, run.step, run.total, f"epoch {epoch + 1}/{run.config.epochs} validated",
               epoch=epoch + 1, step=run.step, val_score=score)
        if self.writer is not None:
            self.writer.add_scalar("val/score", score, run.step)

    def epoch_end(self, run: RunState) -> None:
        if self.writer is not None:
            self.writer.add_scalar("train/epoch_loss", run.hist["epoch_losses"][-1], run.step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
