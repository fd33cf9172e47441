"""Saved-model files: roundtrip with metadata, registry, safety."""

from pathlib import Path

import pytest
import torch
from torch import nn

from core.modelstore.networks import MetricHead, SeedCNN, count_parameters
from core.modelstore.saved_model import (
    METADATA_KEYS,
    build_model,
    load_model,
    read_metadata,
    register_arch,
    registered_archs,
    save_model,
)


def test_seed_cnn_shape_and_size() -> None:
    m = SeedCNN().eval()
    out = m(torch.randn(2, 3, 60, 60))
    assert out.shape == (2, 128)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2))
    assert 100_000 < count_parameters(m) < 1_000_000


def test_metric_head_starts_as_identity() -> None:
    x = torch.nn.functional.normalize(torch.randn(5, 512), dim=1)
    torch.testing.assert_close(MetricHead()(x), x)
    y = torch.randn(3, 16)
    torch.testing.assert_close(MetricHead(16, 8)(y), torch.nn.functional.normalize(y[:, :8], dim=1))


def test_roundtrip_with_metadata(tmp_path: Path) -> None:
    torch.manual_seed(0)
    m = SeedCNN(embedding_dim=64, widths=(8, 16, 16), dropout=0.1)
    m(torch.randn(4, 3, 60, 60))  # move BatchNorm statistics away from their defaults
    meta = {"base_model": None, "training_data": "LFW >= 20 images, 10 per person",
            "settings": {"epochs": 3, "miner": "semihard"}, "metrics": {"knn_top1": 0.61}}
    path = save_model(tmp_path / "sub" / "m.pt", m, meta)
    loaded = load_model(path)
    assert loaded.arch == "seed_cnn" and isinstance(loaded.model, SeedCNN)
    assert loaded.arch_kwargs["embedding_dim"] == 64 and loaded.arch_kwargs["widths"] == [8, 16, 16]
    assert set(METADATA_KEYS) <= loaded.metadata.keys()
    assert loaded.metadata["metrics"] == {"knn_top1": 0.61} and loaded.metadata["created"].startswith("20")
    assert read_metadata(path) == loaded.metadata
    for k, v in m.state_dict().items():
        assert torch.equal(v, loaded.model.state_dict()[k]), k
    x = torch.randn(2, 3, 60, 60)
    m.eval()
    torch.testing.assert_close(loaded.model(x), m(x))
    assert not loaded.model.training
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.pt"]  # no temporary file left behind


def test_registry(tmp_path: Path) -> None:
    assert {"seed_cnn", "metric_head"} <= set(registered_archs())

    class Tiny(nn.Module):
        arch_name = "tiny_test_arch"

        def __init__(self, width: int = 3) -> None:
            super().__init__()
            self.arch_kwargs = {"width": width}
            self.lin = nn.Linear(width, width)

    register_arch("tiny_test_arch", Tiny)
    register_arch("tiny_test_arch", Tiny)  # the same constructor again is fine
    with pytest.raises(ValueError):
        register_arch("tiny_test_arch", SeedCNN)
    assert isinstance(build_model("tiny_test_arch", width=5), Tiny)
    loaded = load_model(save_model(tmp_path / "t.pt", Tiny(4), {"base_model": "facenet"}))
    assert loaded.model.lin.in_features == 4 and loaded.metadata["base_model"] == "facenet"
    with pytest.raises(KeyError):
        build_model("no_such_arch")
    with pytest.raises(KeyError):
        save_model(tmp_path / "x.pt", nn.Linear(2, 2), arch="no_such_arch")


def test_not_a_model_file_and_no_code_execution(tmp_path: Path) -> None:
    torch.save({"hello": 1}, tmp_path / "a.pt")
    with pytest.raises(ValueError):
        load_model(tmp_path / "a.pt")

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"arch": "seed_cnn", "state_dict": {}, "metadata": Evil()}, tmp_path / "b.pt")
    with pytest.raises(Exception, match="(?i)weights_only|unsupported|global"):
        load_model(tmp_path / "b.pt")
