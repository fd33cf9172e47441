"""The training loop on tiny problems: learning, repeatability, checkpoint/resume, cancel, logging."""

from pathlib import Path

import pytest
import torch
from torch import nn

from core.modelstore.networks import SeedCNN
from core.progress import Cancelled, CancelToken, Progress
from core.training.augment import train_transforms
from core.training.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from core.training.datasets import FaceCrops, TensorFaces
from core.training.trainer import TrainConfig, train


class TinyMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.net(x), dim=1)


def separable(seed: int = 0, classes: int = 6, per_class: int = 10) -> TensorFaces:
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, 8, generator=g) * 2
    x = centres.repeat_interleave(per_class, 0) + 0.7 * torch.randn(classes * per_class, 8, generator=g)
    return TensorFaces(x, torch.arange(classes).repeat_interleave(per_class))


def images(seed: int = 0) -> FaceCrops:
    """Random 20x20 'faces' of 4 people, 3 each: exercises augmentation, BatchNorm and dropout."""
    g = torch.Generator().manual_seed(seed)
    crops = [torch.randint(0, 256, (3, 20, 20), dtype=torch.uint8, generator=g) for _ in range(12)]
    return FaceCrops(crops, [i // 3 for i in range(12)], ["a", "b", "c", "d"],
                     transform=train_transforms(16))


def cnn() -> SeedCNN:
    torch.manual_seed(3)
    return SeedCNN(embedding_dim=8, input_size=16, widths=(4, 8), dropout=0.3)


def mlp() -> TinyMLP:
    torch.manual_seed(1)
    return TinyMLP()


def params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


IMG_CFG = TrainConfig(epochs=3, steps_per_epoch=4, P=3, K=2, lr=3e-3, margin=0.3, seed=5, device="cpu")


def centroid_accuracy(ds: TensorFaces):
    def score(model: nn.Module) -> float:
        emb = model(ds.features)
        y = torch.tensor(ds.labels)
        cents = torch.stack([emb[y == c].mean(0) for c in range(len(ds.names))])
        return float((torch.cdist(emb, cents).argmin(1) == y).float().mean())
    return score


@pytest.mark.parametrize("miner", ["semihard", "batch_hard", "batch_all"])
def test_loss_decreases_on_a_separable_problem(miner) -> None:
    ds = separable()
    model = mlp()
    val = centroid_accuracy(ds)
    before = val(model)
    cfg = TrainConfig(epochs=8, steps_per_epoch=10, P=4, K=4, lr=1e-2, margin=0.3, miner=miner, device="cpu")
    res = train(model, ds, cfg, val_fn=val)
    assert res.steps == 80 and len(res.losses) == 80 and len(res.epoch_losses) == 8
    assert res.epoch_losses[-1] < 0.5 * res.epoch_losses[0]
    assert res.best_val is not None and res.best_val >= max(before, 0.9)
    assert res.val_scores[res.best_epoch - 1] == res.best_val


def test_same_seed_same_run_and_other_seed_differs() -> None:
    a, b, c = cnn(), cnn(), cnn()
    ra = train(a, images(), IMG_CFG)
    rb = train(b, images(), IMG_CFG)
    assert ra.losses == rb.losses and ra.active_fractions == rb.active_fractions
    assert_same(params(a), params(b))
    rc = train(c, images(), TrainConfig(**{**IMG_CFG.__dict__, "seed": 6}))
    assert rc.losses != ra.losses


def test_worker_processes_give_the_same_run() -> None:
    a, b = cnn(), cnn()
    cfg = TrainConfig(**{**IMG_CFG.__dict__, "epochs": 1})
    ra = train(a, images(), cfg)
    rb = train(b, images(), TrainConfig(**{**cfg.__dict__, "num_workers": 1}))
    assert ra.losses == rb.losses
    assert_same(params(a), params(b))


def cancel_at(step: int, token: CancelToken, seen: list[Progress]):
    def progress(p: Progress) -> None:
        seen.append(p)
        if p.extra.get("step") == step:
            token.cancel()
    return progress


@pytest.mark.parametrize("cancel_step", [5, 8])  # inside epoch 2; right after the last step of epoch 2
def test_cancel_then_resume_equals_an_uninterrupted_run(tmp_path: Path, cancel_step: int) -> None:
    ds = images()
    val = lambda m: float(m(torch.stack([ds[i][0] for i in range(12)]))[:, 0].mean())  # noqa: E731
    whole = cnn()
    ref = train(whole, ds, IMG_CFG, val_fn=val)

    token, seen = CancelToken(), []
    model = cnn()
    with pytest.raises(Cancelled):
        train(model, ds, IMG_CFG, val_fn=val, cancel=token, progress=cancel_at(cancel_step, token, seen),
              checkpoint_dir=tmp_path)
    assert max(p.extra["step"] for p in seen) == cancel_step  # stopped within the step
    info = latest_checkpoint(tmp_path)
    assert info is not None and info.global_step == cancel_step
    assert load_checkpoint(info.path)["global_step"] == cancel_step

    resumed = cnn()  # fresh weights: everything must come from the checkpoint
    res = train(resumed, ds, IMG_CFG, val_fn=val, checkpoint_dir=tmp_path)
    assert res.resumed_from_step == cancel_step
    assert res.losses == ref.losses
    assert res.val_scores == ref.val_scores and res.best_epoch == ref.best_epoch
    assert_same(params(resumed), params(whole))
    assert res.checkpoint is not None and latest_checkpoint(tmp_path).global_step == 12


def test_cancel_before_start_raises_at_once() -> None:
    token = CancelToken()
    token.cancel()
    model = mlp()
    before = params(model)
    with pytest.raises(Cancelled):
        train(model, separable(), TrainConfig(epochs=1, steps_per_epoch=3, P=3, K=2, device="cpu"),
              cancel=token)
    assert_same(before, params(model))


def test_resume_with_other_settings_is_refused(tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=1, steps_per_epoch=2, P=3, K=2, device="cpu")
    train(mlp(), separable(), cfg, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="margin"):
        train(mlp(), separable(), TrainConfig(**{**cfg.__dict__, "margin": 0.5, "epochs": 2}),
              checkpoint_dir=tmp_path)
    res = train(mlp(), separable(), TrainConfig(**{**cfg.__dict__, "epochs": 2}), checkpoint_dir=tmp_path)
    assert res.resumed_from_step == 2 and res.steps == 4  # more epochs may be added


def test_progress_checkpoints_and_logs(tmp_path: Path) -> None:
    seen: list[Progress] = []
    cfg = TrainConfig(epochs=2, steps_per_epoch=3, P=3, K=2, device="cpu", checkpoint_every=2,
                      keep_checkpoints=10, lr_schedule="cosine")
    res = train(mlp(), separable(), cfg, val_fn=lambda m: 0.5, progress=seen.append,
                log_dir=tmp_path / "logs", checkpoint_dir=tmp_path / "ckpt")
    steps = [p for p in seen if "loss" in p.extra]
    assert [p.done for p in steps] == list(range(1, 7)) and all(p.total == 6 for p in steps)
    assert {"epoch", "step", "loss", "active_fraction", "lr"} <= steps[0].extra.keys()
    assert steps[-1].extra["lr"] == pytest.approx(0.0, abs=1e-12)  # cosine ends at 0
    assert [p.extra["val_score"] for p in seen if "val_score" in p.extra] == [0.5, 0.5]
    assert sorted(int(p.stem[5:]) for p in (tmp_path / "ckpt").glob("step-*.pt")) == [2, 3, 4, 6]
    assert res.loss_curve is not None and res.loss_curve.stat().st_size > 1000
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert res.device == "cpu" and res.world_size == 1 and res.seconds > 0


def test_weight_averaging_ends_on_the_mean_of_the_epochs_last_weights(tmp_path: Path) -> None:
    # a checkpoint after every step holds that step's weights; the run must end on the mean of steps 2, 4, 6
    cfg = TrainConfig(epochs=3, steps_per_epoch=2, P=3, K=2, lr=3e-2, device="cpu", checkpoint_every=1,
                      keep_checkpoints=100, average_epochs=True)
    model = mlp()
    train(model, separable(), cfg, checkpoint_dir=tmp_path)
    steps = {c.global_step: load_checkpoint(c.path)["model"] for c in list_checkpoints(tmp_path)}
    assert sorted(steps) == list(range(1, 7))
    final = params(model)
    for key, value in final.items():
        mean = sum(steps[s][key].double() for s in (2, 4, 6)) / 3
        assert torch.allclose(value.double(), mean, atol=1e-6), key
    assert not torch.allclose(final["net.0.weight"], steps[6]["net.0.weight"])  # not just the last step


def test_cancel_then_resume_keeps_the_running_average(tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=3, steps_per_epoch=2, P=3, K=2, lr=3e-2, device="cpu", average_epochs=True)
    whole = mlp()
    train(whole, separable(), cfg)
    token, seen = CancelToken(), []
    with pytest.raises(Cancelled):
        train(mlp(), separable(), cfg, cancel=token, progress=cancel_at(5, token, seen), checkpoint_dir=tmp_path)
    resumed = mlp()
    assert train(resumed, separable(), cfg, checkpoint_dir=tmp_path).resumed_from_step == 5
    for key, value in params(whole).items():
        assert torch.allclose(params(resumed)[key], value, atol=1e-6), key
