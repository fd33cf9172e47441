"""P x K batch sampler: P people, K images of each, per batch (FaceNet / Hermans et al.).

Use it as a DataLoader's ``batch_sampler``. Each epoch is ``batches_per_epoch`` batches per rank and is a
pure function of ``(seed, epoch)``: the sampler draws ``world_size * batches_per_epoch`` batches from one
generator and rank ``r`` takes batches ``r, r + world_size, ...``, so ranks get disjoint batches and the
union does not depend on which rank asks. People are visited in a shuffled order, P at a time (reshuffled
when used up), so every person appears about equally often. A person with fewer than K images gives all
of them plus draws with replacement; one with more gives K distinct ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class SamplerState:
    """Where the sampler is: the epoch it will produce and how many of its batches to skip (resume)."""

    epoch: int
    start_batch: int


class PKBatchSampler:
    """Yield lists of ``P * K`` dataset indices, ``batches_per_epoch`` per epoch on this rank.

    ``rank``/``world_size`` default to torch.distributed's when it is initialised. Call ``set_epoch`` before
    each epoch (as with DistributedSampler); ``set_epoch(e, start_batch=s)`` resumes inside an epoch.
    """

    def __init__(self, labels: Sequence[int] | np.ndarray | torch.Tensor, p: int, k: int, *,
                 batches_per_epoch: int | None = None, seed: int = 0, rank: int | None = None,
                 world_size: int | None = None, min_per_person: int = 1) -> None:
        if isinstance(labels, torch.Tensor):
            labels = labels.tolist()
        labels_np = np.asarray(labels, dtype=np.int64)
        if p < 2 or k < 1:
            raise ValueError("need P >= 2 people and K >= 1 images per person")
        people: dict[int, list[int]] = {}
        for i, y in enumerate(labels_np.tolist()):
            people.setdefault(int(y), []).append(i)
        self.groups = [np.asarray(v) for _, v in sorted(people.items()) if len(v) >= min_per_person]
        if len(self.groups) < p:
            raise ValueError(f"only {len(self.groups)} people with >= {min_per_person} images; need P={p}")
        if world_size is None:
            world_size = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        if rank is None:
            rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world of {world_size}")
        self.p, self.k, self.seed = p, k, seed
        self.rank, self.world_size = rank, world_size
        n_images = sum(len(g) for g in self.groups)
        self.batches_per_epoch = batches_per_epoch or max(1, n_images // (p * k * world_size))
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Produce epoch ``epoch`` next, skipping its first ``start_batch`` batches on this rank."""
        if not 0 <= start_batch <= self.batches_per_epoch:
            raise ValueError(f"start_batch {start_batch} outside 0..{self.batches_per_epoch}")
        self.epoch, self.start_batch = epoch, start_batch

    def state(self) -> SamplerState:
        return SamplerState(self.epoch, self.start_batch)

    def load_state(self, state: SamplerState) -> None:
        self.set_epoch(state.epoch, state.start_batch)

    def __len__(self) -> int:
        return self.batches_per_epoch - self.start_batch

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        """All batches of ``epoch`` for every rank, in order (rank ``r`` takes ``[r::world_size]``)."""
        rng = np.random.default_rng([self.seed, epoch])
        order: list[int] = []
        batches = []
        for _ in range(self.batches_per_epoch * self.world_size):
            if len(order) < self.p:
                order = order + rng.permutation(len(self.groups)).tolist()
                # a person must not appear twice in one batch across the reshuffle boundary
                head, rest = order[: self.p], order[self.p:]
                while len(set(head)) < self.p:
                    dup = next(i for i, x in enumerate(head) if head.index(x) != i)
                    j = next(j for j, x in enumerate(rest) if x not in head)
                    head[dup], rest[j] = rest[j], head[dup]
                order = head + rest
            chosen, order = order[: self.p], order[self.p:]
            batch: list[int] = []
            for person in chosen:
                idx = self.groups[person]
                if len(idx) >= self.k:
                    pick = rng.choice(idx, self.k, replace=False)
                else:
                    pick = np.concatenate([rng.permutation(idx), rng.choice(idx, self.k - len(idx))])
                batch.extend(int(i) for i in pick)
            batches.append(batch)
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        mine = self.epoch_batches(self.epoch)[self.rank::self.world_size]
        start, self.start_batch = self.start_batch, 0
        yield from mine[start:]
