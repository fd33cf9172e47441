"""``faceorg train --mode personal`` and ``faceorg models [use NAME]`` through ``main``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from core.cli.main import main
from core.library.people import assign_faces
from core.modelstore.registry import PRETRAINED_ID
from core.storage.embeddings import save_embeddings
from core.storage.engine import open_library

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from personal_support import synthetic  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def named_library(tmp_path: Path, factory) -> Path:
    """60 faces of 6 named people, with pretrained embeddings a head can improve."""
    path = tmp_path / "lib.sqlite"
    x, y = synthetic(n_people=6, per=10, dim=512, nuisance=12.0, seed=3)
    with open_library(path) as lib, lib.session() as s:
        ids = factory.faces(s, len(y))
        save_embeddings(s, PRETRAINED_ID, zip(ids, x, strict=True))
        for person in range(6):
            assign_faces(s, [f for f, lab in zip(ids, y, strict=True) if lab == person], f"Person {person}")
    return path


def test_personal_training_then_models_and_switching_back(named_library, tmp_path, capsys):
    out = tmp_path / "train.json"
    lib = str(named_library)
    assert main(["--library", lib, "train", "--mode", "personal", "--out", "cli-head", "--no-progress",
                 "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["adopted"] and result["accuracy_after"] > result["accuracy_before"]
    assert result["reembed"]["from_stored"] == 60 and result["reembed"]["activated"]
    text = capsys.readouterr().out
    assert "Adopted: held-out accuracy" in text and "now uses cli-head" in text

    assert main(["--library", lib, "models", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = [m["name"] for m in listing["models"]]
    assert names[0] == "pretrained" and "cli-head" in names
    head = next(m for m in listing["models"] if m["name"] == "cli-head")
    assert head["active"] and listing["active"] == head["model_id"] and not listing["models"][0]["active"]
    assert head["metrics"]["heldout_accuracy_after"] == result["accuracy_after"]

    assert main(["--library", lib, "models", "use", "pretrained", "--json"]) == 0
    back = json.loads(capsys.readouterr().out)
    assert back["activated"] and back["reembed"] is None  # everything was stored: nothing to compute
    assert main(["--library", lib, "models"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("* pretrained")


def test_refusals(named_library, tmp_path, capsys, factory):
    lib = str(named_library)
    assert main(["--library", lib, "models", "use", "no-such-model"]) == 1
    assert "no saved model" in capsys.readouterr().err
    empty = tmp_path / "empty.sqlite"
    open_library(empty).close()
    assert main(["--library", str(empty), "train", "--mode", "personal", "--no-progress"]) == 1
    assert "no named faces" in capsys.readouterr().err
    assert main(["--library", str(tmp_path / "missing.sqlite"), "models"]) == 0  # lists without a library
    assert capsys.readouterr().out.startswith("* pretrained")


def test_not_adopted_keeps_the_library_model(tmp_path, factory, capsys):
    path = tmp_path / "lib.sqlite"
    x, y = synthetic(n_people=6, per=10, dim=512, nuisance=0.0, seed=3)
    with open_library(path) as lib, lib.session() as s:
        ids = factory.faces(s, len(y))
        save_embeddings(s, PRETRAINED_ID, zip(ids, np.asarray(x), strict=True))
        for person in range(6):
            assign_faces(s, [f for f, lab in zip(ids, y, strict=True) if lab == person], f"Person {person}")
    assert main(["--library", str(path), "train", "--mode", "personal", "--epochs", "2", "--no-progress"]) == 0
    assert "Not adopted" in capsys.readouterr().out
    assert main(["--library", str(path), "models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["active"] == PRETRAINED_ID
