"""Stochastic weight averaging (Izmailov et al., "Averaging Weights Leads to Wider Optima and Better
Generalization", UAI 2018): the mean of the weights visited along the end of a training run.

The weights after any one step sit at a noisy spot of the loss; their mean often sits nearer the middle
of the basin and generalises better. On LFW fine-tuning it did not (same accuracy, worse grouping:
BENCHMARKS.md §4), so ``TrainConfig.average_epochs`` is off by default. Floating-point tensors
(parameters and batch-norm statistics) are averaged; integer ones (``num_batches_tracked``) keep their
latest value.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn


class WeightAverage:
    """A running mean of a model's ``state_dict()``, kept on the CPU in float64."""

    def __init__(self) -> None:
        self.count = 0
        self._mean: dict[str, Tensor] = {}

    def update(self, model: nn.Module) -> None:
        """Add the model's current weights to the mean."""
        self.count += 1
        for key, value in model.state_dict().items():
            v = value.detach().cpu()
            if not v.is_floating_point():
                self._mean[key] = v.clone()
            elif key not in self._mean:
                self._mean[key] = v.double().clone()
            else:
                self._mean[key] += (v.double() - self._mean[key]) / self.count

    def averaged(self, like: nn.Module) -> dict[str, Tensor]:
        """The mean weights, in the dtypes of ``like``'s state dict (ready for ``load_state_dict``)."""
        if self.count == 0:
            raise ValueError("no weights were averaged")
        ref = like.state_dict()
        return {k: self._mean[k].to(ref[k].dtype) for k in ref}

    def state_dict(self) -> dict[str, Any]:
        """For checkpoints (``torch.load(weights_only=True)`` can read it)."""
        return {"count": self.count, "mean": dict(self._mean)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.count = int(state["count"])
        self._mean = {k: v.clone() for k, v in state["mean"].items()}
