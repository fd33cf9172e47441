"""Weight-space interpolation between a pretrained and a fine-tuned network (WiSE-FT).

Wortsman et al., "Robust fine-tuning of zero-shot models" (CVPR 2022): the weights
``(1 - alpha) * pretrained + alpha * fine_tuned`` of two networks that share a starting point keep
much of what fine-tuning learned and of what the pretrained network knew, and often beat either end
(not on LFW fine-tuning: BENCHMARKS.md §4). ``alpha`` is chosen on validation data, never on test data.
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor


def interpolate_state(pretrained: Mapping[str, Tensor], tuned: Mapping[str, Tensor],
                      alpha: float) -> dict[str, Tensor]:
    """``(1 - alpha) * pretrained + alpha * tuned`` for every floating-point tensor; other entries
    (such as batch norm's ``num_batches_tracked``) are taken from ``tuned``. Both must have the same keys."""
    if set(pretrained) != set(tuned):
        raise ValueError("the two state dicts have different keys")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], not {alpha}")
    out: dict[str, Tensor] = {}
    for key, t in tuned.items():
        p = pretrained[key]
        if p.shape != t.shape:
            raise ValueError(f"{key}: shapes differ ({tuple(p.shape)} vs {tuple(t.shape)})")
        out[key] = (p.to(t.dtype) * (1.0 - alpha) + t * alpha) if t.is_floating_point() else t.clone()
    return out
