"""Miners: the vectorised masks against plain Python loops over the batch."""

import pytest
import torch

from core.training.miners import BatchAllMiner, BatchHardMiner, SemiHardMiner, make_miner


def dist(emb: torch.Tensor):
    x = (emb / emb.norm(dim=1, keepdim=True)).tolist()
    return lambda i, j: sum((u - v) ** 2 for u, v in zip(x[i], x[j], strict=True))


def as_set(t) -> set[tuple[int, int, int]]:
    return set(zip(*[c.tolist() for c in t], strict=True))


def batch(seed: int, n: int = 20, classes: int = 4, dim: int = 6):
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(n, dim, generator=g, dtype=torch.float64)
    labels = torch.randint(0, classes, (n,), generator=g)
    return emb, labels


EDGE_LABELS = [
    [0, 0, 0, 0, 0],  # one class: no triplets
    [0, 1, 2, 3, 4],  # all singletons: no positives
    [0, 0, 1, 2, 3, 3, 3],  # mixture with singletons
    [5, 5],
]


def loop_batch_all(emb, labels, margin, positive_only):
    d = dist(emb)
    y = labels.tolist()
    out = set()
    for a in range(len(y)):
        for p in range(len(y)):
            for n in range(len(y)):
                if a != p and y[a] == y[p] and y[n] != y[a]:
                    if not positive_only or d(a, p) - d(a, n) + margin > 0:
                        out.add((a, p, n))
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("margin", [0.1, 0.5, 2.0])
@pytest.mark.parametrize("positive_only", [False, True])
def test_batch_all_matches_loop(seed, margin, positive_only) -> None:
    emb, labels = batch(seed)
    got = BatchAllMiner(margin, positive_only=positive_only)(emb, labels)
    assert all(t.dtype == torch.long for t in got)
    assert as_set(got) == loop_batch_all(emb, labels, margin, positive_only)
    assert len(got[0]) == len(as_set(got))


def loop_batch_hard(emb, labels):
    d = dist(emb)
    y = labels.tolist()
    out = set()
    for a in range(len(y)):
        ps = [p for p in range(len(y)) if p != a and y[p] == y[a]]
        ns = [n for n in range(len(y)) if y[n] != y[a]]
        if ps and ns:
            out.add((a, max(ps, key=lambda p: d(a, p)), min(ns, key=lambda n: d(a, n))))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_batch_hard_matches_loop(seed) -> None:
    emb, labels = batch(seed)
    assert as_set(BatchHardMiner(0.2)(emb, labels)) == loop_batch_hard(emb, labels)


def loop_semihard(emb, labels, margin):
    """{(a, p): (set of allowed negatives, exact or random)}."""
    d = dist(emb)
    y = labels.tolist()
    out = {}
    for a in range(len(y)):
        ns = [n for n in range(len(y)) if y[n] != y[a]]
        if not ns:
            continue
        for p in range(len(y)):
            if p == a or y[p] != y[a]:
                continue
            dap = d(a, p)
            semi = [n for n in ns if dap < d(a, n) < dap + margin]
            beyond = [n for n in ns if d(a, n) > dap]
            if semi:
                out[(a, p)] = (set(semi), "random")
            elif beyond:
                out[(a, p)] = ({min(beyond, key=lambda n: d(a, n))}, "exact")
            else:
                out[(a, p)] = ({max(ns, key=lambda n: d(a, n))}, "exact")
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("margin", [0.05, 0.2, 0.5, 1.5])
def test_semihard_matches_loop(seed, margin) -> None:
    emb, labels = batch(seed, n=24)
    expected = loop_semihard(emb, labels, margin)
    a, p, n = SemiHardMiner(margin)(emb, labels, torch.Generator().manual_seed(seed))
    got = {(i, j): k for i, j, k in zip(a.tolist(), p.tolist(), n.tolist(), strict=True)}
    assert got.keys() == expected.keys()
    for key, neg in got.items():
        assert neg in expected[key][0]
    kinds = {kind for _, kind in expected.values()}
    assert kinds  # the batch is not degenerate


def test_semihard_random_choice_covers_the_semihard_set() -> None:
    # anchor 0, positive 1 at distance ~0; negatives 2..5 all semi-hard for a wide margin
    emb = torch.tensor([[1.0, 0.0], [1.0, 0.01], [0.9, 0.3], [0.9, -0.3], [0.8, 0.5], [0.8, -0.5]])
    labels = torch.tensor([0, 0, 1, 2, 3, 4])
    miner = SemiHardMiner(margin=2.0)
    seen = set()
    g = torch.Generator().manual_seed(0)
    for _ in range(60):
        a, p, n = miner(emb, labels, g)
        seen.add(n[(a == 0) & (p == 1)].item())
    assert seen == {2, 3, 4, 5}


def test_semihard_is_repeatable_with_a_generator() -> None:
    emb, labels = batch(3, n=32)
    m = SemiHardMiner(0.3)
    r1 = m(emb, labels, torch.Generator().manual_seed(11))
    r2 = m(emb, labels, torch.Generator().manual_seed(11))
    for x, y in zip(r1, r2, strict=True):
        assert torch.equal(x, y)


@pytest.mark.parametrize("labels", EDGE_LABELS)
@pytest.mark.parametrize("name", ["semihard", "batch_hard", "batch_all"])
def test_edge_cases_match_loops(labels, name) -> None:
    y = torch.tensor(labels)
    emb = torch.randn(len(labels), 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    a, p, n = make_miner(name, 0.2)(emb, y)
    if len(set(labels)) == 1 or len(set(labels)) == len(labels):
        assert a.numel() == p.numel() == n.numel() == 0
    # every triplet is valid: same-label positive (not the anchor), other-label negative
    assert bool((y[a] == y[p]).all() and (a != p).all() and (y[a] != y[n]).all())
    if name == "batch_all":
        assert as_set((a, p, n)) == loop_batch_all(emb, y, 0.2, False)
    elif name == "batch_hard":
        assert as_set((a, p, n)) == loop_batch_hard(emb, y)
    else:
        assert {(i, j) for i, j, _ in as_set((a, p, n))} == set(loop_semihard(emb, y, 0.2))


def test_unknown_miner() -> None:
    with pytest.raises(ValueError):
        make_miner("hardest", 0.2)  # type: ignore[arg-type]
