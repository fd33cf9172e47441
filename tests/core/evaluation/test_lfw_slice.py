"""A small real LFW evaluation through the CLI: two folds of a pairs.txt slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli.main import main
from core.paths import lfw_default


def _slice(pairs_txt: Path, out: Path, per_kind: int = 8) -> None:
    lines = pairs_txt.read_text().splitlines()[1:]
    chosen = []
    for fold in range(2):
        block = lines[fold * 600:(fold + 1) * 600]
        chosen += block[:per_kind] + block[300:300 + per_kind]
    out.write_text(f"2\t{per_kind}\n" + "\n".join(chosen) + "\n")


def test_evaluate_lfw_on_a_slice(tmp_path: Path) -> None:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW); CI has it")
    pairs = tmp_path / "pairs_slice.txt"
    _slice(root / "pairs.txt", pairs)
    report = tmp_path / "lfw.json"
    roc = tmp_path / "roc.png"
    code = main(["evaluate", "lfw", "--data", str(root), "--pairs", str(pairs), "--no-cache", "--no-flip",
                 "--json", str(report), "--roc", str(roc)])
    assert code == 0
    result = json.loads(report.read_text())
    assert result["n_pairs"] == 32 and len(result["accuracy_per_fold"]) == 2
    assert result["accuracy_mean"] >= 0.85  # the full protocol gives ~97%; a 32-pair slice is noisy
    assert 0.5 < result["threshold"] < 2.0 and result["auc"] > 0.9
    assert roc.stat().st_size > 10_000
