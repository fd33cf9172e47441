"""The training-run service: settings key the work dirs (so a changed run never resumes another's results),
a restart clears them, and a personal run trains, saves and decides on adoption."""

from __future__ import annotations

from pathlib import Path

import pytest
from personal_support import synthetic

import core.training.finetune as finetune
from core.training.runs import LabelledEmbeddings, RunRequest, folds_work_dir, plan_run, run_training


def test_finetune_work_dirs_are_keyed_by_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEORG_CACHE", str(tmp_path / "cache"))
    lfw = tmp_path / "lfw"
    cli = plan_run(RunRequest("finetune", lfw, folds=(0, 1)))
    assert set(cli.work_dirs) == {"folds"} and cli.work_dirs["folds"].parent == tmp_path / "cache" / "training"
    assert cli.work_dirs["folds"] == folds_work_dir(cli.config, lfw, None, cli.views)
    assert plan_run(RunRequest("finetune", lfw, folds=(3,))).work_dirs == cli.work_dirs  # folds share a dir
    app = plan_run(RunRequest("finetune", lfw, folds=(0,), final=True))
    assert app.work_dirs["folds"] == cli.work_dirs["folds"] and app.work_dirs["final"] != app.work_dirs["folds"]
    others = [RunRequest("finetune", lfw, folds=(0,), epochs=2), RunRequest("finetune", lfw, folds=(0,), views=2),
              RunRequest("finetune", lfw, folds=(0,), limit=50), RunRequest("finetune", tmp_path, folds=(0,)),
              RunRequest("finetune", lfw, folds=(0,), device="cpu")]
    dirs = {plan_run(r).work_dirs["folds"] for r in others}
    assert len(dirs) == len(others) and cli.work_dirs["folds"] not in dirs
    monkeypatch.setattr(finetune, "PROTOCOL_VERSION", finetune.PROTOCOL_VERSION + 1)
    assert plan_run(RunRequest("finetune", lfw, folds=(0,))).work_dirs != cli.work_dirs  # a new protocol


def test_scratch_is_keyed_and_plans_refuse_what_cannot_run(tmp_path: Path) -> None:
    a = plan_run(RunRequest("scratch", tmp_path))
    assert a.work_dirs["scratch"] == plan_run(RunRequest("scratch", tmp_path, device="auto")).work_dirs["scratch"]
    assert a.work_dirs["scratch"] != plan_run(RunRequest("scratch", tmp_path, epochs=3)).work_dirs["scratch"]
    assert plan_run(RunRequest("scratch", tmp_path, epochs=3)).config.train.epochs == 3
    with pytest.raises(ValueError, match="LFW folder"):
        plan_run(RunRequest("finetune"))
    with pytest.raises(ValueError, match="folds to measure or a final model"):
        plan_run(RunRequest("finetune", tmp_path))
    with pytest.raises(ValueError, match="unknown training mode"):
        plan_run(RunRequest("nope", tmp_path))


def test_restart_clears_the_work_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEORG_CACHE", str(tmp_path / "cache"))
    run = plan_run(RunRequest("finetune", tmp_path / "no-lfw", folds=(0,), restart=True))
    stale = run.work_dirs["folds"] / "fold-0.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    with pytest.raises(FileNotFoundError):  # no LFW there: the run stops after clearing its work dir
        run_training(run)
    assert not stale.exists()


def test_personal_run_trains_saves_and_adopts(tmp_path: Path) -> None:
    x, y = synthetic(n_people=6, per=10, dim=512, nuisance=12.0, seed=3)
    run = plan_run(RunRequest("personal", epochs=4, name="from-runs"))
    assert run.config.train.epochs == 4 and run.work_dirs == {}
    with pytest.raises(ValueError, match="named faces"):
        run_training(run)
    out = run_training(run, named=LabelledEmbeddings(x, y, "library test.sqlite"), models_directory=tmp_path)
    assert out.adopted and out.after > out.before and out.reason.startswith("adopted")
    assert out.model is not None and out.model.name == "from-runs" and out.model.path.parent == tmp_path
    assert out.model.training_data.startswith("library test.sqlite: ")
    assert len(out.losses) == 4 * out.result.train.steps_per_epoch
