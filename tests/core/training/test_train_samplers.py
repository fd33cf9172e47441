"""P x K batch sampler properties."""

from collections import Counter

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from core.training.samplers import PKBatchSampler

# 10 people: person i has i + 1 images (so people 0..2 have fewer than K=4)
LABELS = [i for i in range(10) for _ in range(i + 1)]


def test_batches_hold_p_people_with_k_images_each() -> None:
    s = PKBatchSampler(LABELS, p=5, k=4, batches_per_epoch=30, seed=1)
    batches = list(s)
    assert len(batches) == len(s) == 30
    for b in batches:
        assert len(b) == 20
        people = Counter(LABELS[i] for i in b)
        assert len(people) == 5 and set(people.values()) == {4}
        for person in people:
            idx = [i for i in b if LABELS[i] == person]
            if person + 1 >= 4:
                assert len(set(idx)) == 4  # enough images: no repeats
            else:
                assert set(idx) == {i for i, y in enumerate(LABELS) if y == person}  # all of them


def test_people_are_visited_evenly() -> None:
    s = PKBatchSampler(LABELS, p=5, k=2, batches_per_epoch=40, seed=3)
    counts = Counter(LABELS[b[i]] for b in s for i in range(0, len(b), 2))
    assert set(counts) == set(range(10))
    assert max(counts.values()) - min(counts.values()) <= 1


def test_seeded_and_epoch_dependent() -> None:
    a = PKBatchSampler(LABELS, p=4, k=3, batches_per_epoch=5, seed=7)
    b = PKBatchSampler(LABELS, p=4, k=3, batches_per_epoch=5, seed=7)
    assert list(a) == list(b)
    a.set_epoch(1)
    b.set_epoch(0)
    assert list(a) != list(b)
    c = PKBatchSampler(LABELS, p=4, k=3, batches_per_epoch=5, seed=8)
    assert list(c) != list(b)


def test_ranks_get_disjoint_batches() -> None:
    ranks = [PKBatchSampler(LABELS, p=4, k=2, batches_per_epoch=6, seed=2, rank=r, world_size=3)
             for r in range(3)]
    for r in ranks:
        r.set_epoch(4)
    got = [list(r) for r in ranks]
    assert all(len(g) == 6 for g in got)
    flat = [tuple(b) for g in got for b in g]
    assert len(set(flat)) == 18
    everything = ranks[0].epoch_batches(4)
    assert all(got[r] == everything[r::3] for r in range(3))


def test_resume_inside_an_epoch() -> None:
    s = PKBatchSampler(LABELS, p=3, k=2, batches_per_epoch=8, seed=5)
    s.set_epoch(2)
    full = list(s)
    s.set_epoch(2, start_batch=5)
    assert len(s) == 3
    assert list(s) == full[5:]
    assert len(s) == 8  # the skip applies to one pass only


def test_as_dataloader_batch_sampler() -> None:
    ds = TensorDataset(torch.arange(len(LABELS)), torch.tensor(LABELS))
    s = PKBatchSampler(LABELS, p=3, k=2, batches_per_epoch=4, seed=0)
    batches = list(DataLoader(ds, batch_sampler=s))
    assert len(batches) == 4
    x, y = batches[0]
    assert x.shape == (6,) and torch.equal(y, torch.tensor(LABELS)[x])


def test_default_epoch_length_and_errors() -> None:
    assert len(PKBatchSampler(LABELS, p=2, k=5)) == len(LABELS) // 10
    with pytest.raises(ValueError):
        PKBatchSampler(LABELS, p=11, k=2)
    with pytest.raises(ValueError):
        PKBatchSampler(LABELS, p=4, k=2, min_per_person=8)  # only 3 people have 8+
    with pytest.raises(ValueError):
        PKBatchSampler(LABELS, p=4, k=2, rank=2, world_size=2)
