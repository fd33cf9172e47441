"""Training checkpoints: everything needed to resume a run exactly.

A checkpoint is ``<dir>/step-<global step, 8 digits>.pt``, written atomically, holding a plain dict
(model/optimizer/scheduler state dicts, the position ``epoch``/``batch`` -- the next batch to run --,
``global_step``, the loss history, the best weights so far, torch's RNG states and the TrainConfig as a
dict). The newest ``keep`` files are kept. Everything is loadable with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.modelstore.saved_model import atomic_torch_save

_NAME = re.compile(r"^step-(\d{8,})\.pt$")


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint file and the global step it was written after."""

    path: Path
    global_step: int


def list_checkpoints(directory: str | Path) -> list[CheckpointInfo]:
    """The checkpoints in ``directory``, oldest first."""
    d = Path(directory)
    if not d.is_dir():
        return []
    found = [CheckpointInfo(p, int(m.group(1))) for p in d.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found, key=lambda c: c.global_step)


def latest_checkpoint(directory: str | Path) -> CheckpointInfo | None:
    """The checkpoint with the highest step, or None."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def save_checkpoint(directory: str | Path, state: dict[str, Any], global_step: int, keep: int = 2) -> Path:
    """Write ``state`` as the checkpoint of ``global_step`` and delete all but the newest ``keep``."""
    path = Path(directory) / f"step-{global_step:08d}.pt"
    atomic_torch_save(state, path)
    for old in list_checkpoints(directory)[:-max(1, keep)]:
        old.path.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    state = torch.load(Path(path), map_location=map_location, weights_only=True)
    if not isinstance(state, dict) or "model" not in state or "global_step" not in state:
        raise ValueError(f"{path} is not a training checkpoint")
    return state


def rng_state() -> dict[str, Any]:
    """torch's global CPU (and CUDA, when present) RNG states."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
