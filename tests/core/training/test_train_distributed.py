"""Data-parallel training on 2 CPU processes (gloo): ranks end identical and the loss goes down."""

import torch
from torch import nn

from core.training.datasets import TensorFaces
from core.training.distributed import launch
from core.training.trainer import TrainConfig, train


def _run(rank: int, world_size: int, ckpt_dir: str) -> dict:
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(6, 8, generator=g) * 2
    x = centres.repeat_interleave(10, 0) + 0.7 * torch.randn(60, 8, generator=g)
    ds = TensorFaces(x, torch.arange(6).repeat_interleave(10))
    torch.manual_seed(100 + rank)  # different initial weights per rank: DDP must broadcast rank 0's
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4))
    cfg = TrainConfig(epochs=4, steps_per_epoch=6, P=4, K=3, lr=1e-2, margin=0.3, device="cpu")
    res = train(model, ds, cfg, checkpoint_dir=ckpt_dir)
    return {"state": {k: v.clone() for k, v in model.state_dict().items()}, "losses": res.losses,
            "world": res.world_size, "steps": res.steps}


def test_two_processes_train_in_lockstep(tmp_path) -> None:
    try:
        r0, r1 = launch(_run, 2, str(tmp_path))
    except torch.multiprocessing.ProcessExitedException as exc:
        # Known flake (~1 run in 10 on the loaded 2-core box): a gloo rank aborts with "terminate called
        # without an active exception" at start-up. One fresh try; a real DDP bug fails both.
        if exc.signal_name != "SIGABRT":
            raise
        r0, r1 = launch(_run, 2, str(tmp_path / "retry"))
    assert r0["world"] == r1["world"] == 2 and r0["steps"] == 24
    for k, v in r0["state"].items():
        assert torch.equal(v, r1["state"][k]), k
    assert r0["losses"] == r1["losses"]  # the mean over ranks, reported on both
    first, last = sum(r0["losses"][:6]) / 6, sum(r0["losses"][-6:]) / 6
    assert last < 0.7 * first
    assert sorted(p.name for p in tmp_path.glob("step-*.pt")) == ["step-00000018.pt", "step-00000024.pt"]
