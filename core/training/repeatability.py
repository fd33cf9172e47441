"""Seeding that makes training repeatable and resumable, independent of DataLoader workers.

Each sample is loaded (and augmented) under its own torch seed derived from ``(seed, epoch, batch, rank)``
(:class:`SeededBatches` attaches it, :class:`SeededItems` applies it inside ``torch.random.fork_rng`` so the
global RNG is left alone); the miner gets a generator seeded from ``(seed, step, rank)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import Dataset

from core.training.samplers import PKBatchSampler

if TYPE_CHECKING:
    from core.training.datasets import LabelledDataset


class SeededItems(Dataset):
    """``dataset[idx]`` computed under ``torch.manual_seed(seed)`` for items ``(idx, seed)``."""

    def __init__(self, dataset: LabelledDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int]) -> Any:
        idx, seed = item
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)  # CPU only (torch.manual_seed seeds GPUs, slowly)
            return self.dataset[idx]


class SeededBatches:
    """The sampler's batches with a per-sample seed from ``(seed, epoch, batch, rank)``."""

    def __init__(self, sampler: PKBatchSampler, seed: int) -> None:
        self.sampler, self.seed = sampler, seed

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        s = self.sampler
        epoch, start = s.epoch, s.start_batch
        for i, batch in enumerate(s, start=start):
            seeds = np.random.SeedSequence([self.seed, epoch, i, s.rank]).generate_state(len(batch))
            yield [(idx, int(x)) for idx, x in zip(batch, seeds, strict=True)]


def step_generator(seed: int, step: int, rank: int) -> torch.Generator:
    """A CPU generator seeded from ``(seed, step, rank)`` (for the miner's random choices)."""
    state = np.random.SeedSequence([seed, step, rank, 1]).generate_state(2, dtype=np.uint64)
    return torch.Generator().manual_seed(int(state[0] >> np.uint64(1)))


@contextlib.contextmanager
def deterministic_cudnn() -> Iterator[None]:
    """cuDNN in deterministic, non-benchmark mode for the block; the old settings come back after."""
    old = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old
