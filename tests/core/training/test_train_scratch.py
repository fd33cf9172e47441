"""Smoke test of the scratch experiment on a few LFW people (the full run is a benchmark)."""

from pathlib import Path

import pytest

from core.modelstore.saved_model import load_model
from core.paths import lfw_default
from core.training.scratch import ScratchConfig, train_scratch
from core.training.trainer import TrainConfig

LFW = lfw_default()
pytestmark = [pytest.mark.lfw, pytest.mark.skipif(LFW is None, reason="LFW not found at ../shared/lfw "
                                                  "(set FACEORG_LFW to its folder)")]


def test_one_epoch_on_five_people(tmp_path: Path) -> None:
    cfg = ScratchConfig(train=TrainConfig(epochs=1, steps_per_epoch=2, P=4, K=2, device="cpu"),
                        widths=(8, 16, 16, 16), max_people=5, threads=1)
    res = train_scratch(LFW, config=cfg, out_dir=tmp_path)
    assert (res.n_people, res.n_train, res.n_val, res.n_test) == (5, 50, 25, 25)
    assert 0.0 <= res.test_accuracy <= 1.0 and res.k in (1, 3, 5, 7, 9)
    assert res.train.steps == 2 and len(res.train.val_scores) == 1
    loaded = load_model(res.model_path)
    assert loaded.arch == "seed_cnn" and loaded.metadata["metrics"]["test_accuracy"] == res.test_accuracy
    assert "5 people" in loaded.metadata["training_data"]
    assert (tmp_path / "logs" / "loss_curve.png").is_file()
