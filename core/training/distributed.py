"""Run a function on several processes with torch.distributed (single machine).

``launch(fn, world_size, *args)`` spawns ``world_size`` processes (``torch.multiprocessing.spawn``), joins a
process group over TCP on ``127.0.0.1`` and a free port (backend ``gloo`` on CPU, ``nccl`` when every rank
can have its own GPU), calls ``fn(rank, world_size, *args)`` in each and returns their results, rank order.
``fn`` and its arguments must be picklable (a module-level function). Results travel back through
``torch.save`` files in a temporary folder, so they may be large (tensors, state dicts).
:func:`core.training.trainer.train` notices an initialised process group and trains data-parallel.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the current process group, ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def resolve_device(spec: str, rank: int = 0) -> torch.device:
    """``auto`` -> this rank's GPU when CUDA is there, else the CPU."""
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
    return torch.device(spec)


def default_backend(world_size: int) -> str:
    """``nccl`` when there is a GPU per process, else ``gloo``."""
    if torch.cuda.is_available() and torch.cuda.device_count() >= world_size and dist.is_nccl_available():
        return "nccl"
    return "gloo"


def _worker(rank: int, fn: Callable[..., Any], world_size: int, port: int, backend: str, threads: int | None,
            out_dir: str, args: tuple[Any, ...]) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    os.environ["RANK"] = str(rank)
    os.environ["LOCAL_RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = str(world_size)
    if threads is not None:
        torch.set_num_threads(threads)
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size, timeout=timedelta(minutes=30))
    try:
        result = fn(rank, world_size, *args)
        torch.save(result, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def launch(fn: Callable[..., Any], world_size: int, *args: Any, backend: str | None = None,
           threads_per_process: int | None = 1) -> list[Any]:
    """Run ``fn(rank, world_size, *args)`` on ``world_size`` processes; their return values, by rank.

    An exception in any process is raised here (``torch.multiprocessing.ProcessRaisedException``).
    """
    if world_size < 1:
        raise ValueError("world_size must be >= 1")
    backend = backend or default_backend(world_size)
    with tempfile.TemporaryDirectory(prefix="faceorg-ddp-") as out_dir:
        mp.spawn(_worker, args=(fn, world_size, free_port(), backend, threads_per_process, out_dir, args),
                 nprocs=world_size, join=True)
        return [torch.load(Path(out_dir) / f"rank{r}.pt", weights_only=False) for r in range(world_size)]
