"""WiSE-FT weight interpolation, checked element by element against a plain loop."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.training.interpolate import interpolate_state


def _pair() -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    b = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    b.train()
    b(torch.randn(8, 4))  # moves b's running statistics and num_batches_tracked
    return a.state_dict(), b.state_dict()


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_matches_a_plain_loop(alpha: float) -> None:
    pre, tuned = _pair()
    out = interpolate_state(pre, tuned, alpha)
    assert set(out) == set(tuned)
    for key in tuned:
        if tuned[key].is_floating_point():
            flat_p, flat_t, flat_o = pre[key].flatten(), tuned[key].flatten(), out[key].flatten()
            for i in range(len(flat_o)):
                assert float(flat_o[i]) == pytest.approx((1 - alpha) * float(flat_p[i]) + alpha * float(flat_t[i]),
                                                         abs=1e-6)
        else:
            assert torch.equal(out[key], tuned[key])
    # alpha 0 is the pretrained network and alpha 1 the fine-tuned one, for every float tensor
    if alpha in (0.0, 1.0):
        ref = pre if alpha == 0.0 else tuned
        assert all(torch.allclose(out[k], ref[k]) for k in ref if ref[k].is_floating_point())


def test_an_interpolated_state_loads_and_differs_from_both_ends() -> None:
    pre, tuned = _pair()
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    net.load_state_dict(interpolate_state(pre, tuned, 0.5))
    w = net[0].weight.detach()
    assert not torch.allclose(w, pre["0.weight"]) and not torch.allclose(w, tuned["0.weight"])


def test_rejects_mismatched_states_and_bad_alpha() -> None:
    pre, tuned = _pair()
    with pytest.raises(ValueError, match="keys"):
        interpolate_state(pre, {k: v for k, v in tuned.items() if k != "0.bias"}, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        interpolate_state(pre, tuned, 1.5)
    with pytest.raises(ValueError, match="shapes"):
        interpolate_state(pre, {**tuned, "0.bias": torch.zeros(5)}, 0.5)
