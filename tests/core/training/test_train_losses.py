"""Triplet loss: the vectorised loss against a plain loop over the listed triplets."""

import pytest
import torch

from core.training.losses import TripletLoss, pairwise_sq_distances, triplet_loss


def loop_loss(emb: torch.Tensor, triplets, margin: float, reduction: str) -> tuple[float, int]:
    emb = emb / emb.norm(dim=1, keepdim=True)
    losses = []
    for a, p, n in zip(*[t.tolist() for t in triplets], strict=True):
        d_ap = sum((x - y) ** 2 for x, y in zip(emb[a].tolist(), emb[p].tolist(), strict=True))
        d_an = sum((x - y) ** 2 for x, y in zip(emb[a].tolist(), emb[n].tolist(), strict=True))
        losses.append(max(d_ap - d_an + margin, 0.0))
    active = [x for x in losses if x > 0]
    if reduction == "all":
        return (sum(losses) / len(losses) if losses else 0.0), len(active)
    return (sum(active) / len(active) if active else 0.0), len(active)


def random_triplets(labels: torch.Tensor, count: int, g: torch.Generator):
    out = []
    n = len(labels)
    while len(out) < count:
        a, p, q = torch.randint(0, n, (3,), generator=g).tolist()
        if a != p and labels[a] == labels[p] and labels[q] != labels[a]:
            out.append((a, p, q))
    return tuple(torch.tensor(c, dtype=torch.long) for c in zip(*out, strict=True))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("margin", [0.0, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("reduction", ["active", "all"])
def test_loss_matches_loop(seed: int, margin: float, reduction: str) -> None:
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(24, 8, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 4, (24,), generator=g)
    triplets = random_triplets(labels, 40, g)
    res = triplet_loss(emb, triplets, margin, reduction=reduction)
    expected, active = loop_loss(emb, triplets, margin, reduction)
    assert res.loss.item() == pytest.approx(expected, abs=1e-12)
    assert res.num_triplets == 40
    assert res.num_active == active
    assert res.active_fraction == pytest.approx(active / 40)


def test_no_triplets_gives_zero_with_graph() -> None:
    emb = torch.randn(5, 4, requires_grad=True)
    e = torch.empty(0, dtype=torch.long)
    res = TripletLoss(0.2)(emb, torch.zeros(5, dtype=torch.long), (e, e, e))
    assert res.loss.item() == 0.0 and res.num_triplets == 0 and res.active_fraction == 0.0
    res.loss.backward()
    assert emb.grad is not None and torch.count_nonzero(emb.grad) == 0


def test_no_active_triplet_gives_zero() -> None:
    emb = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    t = (torch.tensor([0]), torch.tensor([1]), torch.tensor([2]))
    res = triplet_loss(emb, t, margin=0.5)
    assert res.loss.item() == 0.0 and res.num_active == 0 and res.num_triplets == 1


def test_module_rejects_invalid_triplet() -> None:
    emb = torch.randn(3, 4)
    labels = torch.tensor([0, 0, 0])
    with pytest.raises(ValueError):
        TripletLoss()(emb, labels, (torch.tensor([0]), torch.tensor([1]), torch.tensor([2])))


def test_gradient_matches_loop_autograd() -> None:
    g = torch.Generator().manual_seed(7)
    emb = torch.randn(12, 6, generator=g, dtype=torch.float64, requires_grad=True)
    labels = torch.randint(0, 3, (12,), generator=g)
    t = random_triplets(labels, 20, g)
    triplet_loss(emb, t, 0.3).loss.backward()
    fast = emb.grad.clone()
    emb.grad = None
    x = emb / emb.norm(dim=1, keepdim=True)
    terms = [torch.relu((x[a] - x[p]).pow(2).sum() - (x[a] - x[n]).pow(2).sum() + 0.3)
             for a, p, n in zip(*[c.tolist() for c in t], strict=True)]
    active = [v for v in terms if v.item() > 0]
    (sum(active) / len(active)).backward()
    torch.testing.assert_close(fast, emb.grad)


def test_pairwise_distances_are_squared_l2() -> None:
    x = torch.randn(7, 5, dtype=torch.float64)
    d = pairwise_sq_distances(x)
    ref = torch.cdist(x, x).pow(2)
    torch.testing.assert_close(d, ref)
    assert (d >= 0).all()
