"""The Train dialog: a personal training on a small library with progress, a loss curve and the
before/after result, "Use this model" switching the library, and cancelling a run."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from gui_support import REPO, WAIT_MS, find_dialog, read, seed
from PySide6.QtCore import Qt

from app.views.train_dialog import TrainDialog
from core.library.people import assign_faces
from core.library.review import pick_model
from core.modelstore.registry import PRETRAINED_ID
from core.storage.embeddings import save_embeddings

sys.path.insert(0, str(REPO / "tests" / "core" / "training"))
from personal_support import synthetic  # noqa: E402


@pytest.fixture
def named(lib_path: Path, factory: Any) -> None:
    """60 faces of 6 named people with pretrained embeddings a head can improve (no images needed)."""
    x, y = synthetic(n_people=6, per=10, dim=512, nuisance=12.0, seed=3)

    def make(session: Any) -> None:
        ids = factory.faces(session, len(y))
        save_embeddings(session, PRETRAINED_ID, zip(ids, x, strict=True))
        for person in range(6):
            assign_faces(session, [f for f, lab in zip(ids, y, strict=True) if lab == person], f"Person {person}")

    seed(lib_path, make)


JARGON = re.compile(r"\b(verification|seed|notebook|folds?|head|epochs?|held-out|loss|embedd\w*|trunk|CNN|layout|"
                    r"adopted)\b", re.IGNORECASE)


def _jargon(dialog: TrainDialog) -> list[str]:
    """The jargon words in what the dialog shows: labels, drop-down items, status and result."""
    from PySide6.QtWidgets import QLabel

    texts = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible()]
    texts += [dialog.mode.itemText(i) for i in range(dialog.mode.count())]
    texts += [dialog.curve.accessibleName()]
    return [f"{found.group()!r} in {text!r}" for text in texts for found in JARGON.finditer(text)]


def _open(qtbot: Any, make_window: Any) -> tuple[Any, TrainDialog]:
    window = make_window()
    window.actions_by_name["train"].trigger()
    dialog = find_dialog(qtbot, window, TrainDialog)
    dialog.set_mode("personal")
    assert not dialog.data.isEnabled()  # personal training needs no data folder
    return window, dialog


def test_personal_training_shows_progress_and_result_then_switches(qtbot: Any, make_window: Any, named: None) -> None:
    window, dialog = _open(qtbot, make_window)
    updates: list[Any] = []
    dialog.controller.progress.connect(updates.append)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    # 5-20 s on an idle machine; 22-45 s measured after the import tests on a shared, loaded one
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=90_000)
    outcome = dialog.outcome
    assert updates and any(u.loss is not None for u in updates)
    assert outcome.adopted and outcome.after > outcome.before and outcome.model is not None
    assert "before" in dialog.result.text() and "Better than the model in use" in dialog.result.text()
    assert _jargon(dialog) == []
    assert len(dialog.curve.points) == len(outcome.losses) > 10
    assert dialog.use_button.isEnabled() and dialog.start_button.isEnabled()
    dialog.grab()  # paints the loss curve

    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "now uses" in dialog.status.text(), timeout=WAIT_MS)
    assert "60 faces updated (60 without reading their photos again)" in dialog.status.text()
    assert _jargon(dialog) == []
    assert read(window, pick_model) == outcome.model.model_id
    assert not dialog.use_button.isEnabled()


def test_cancel_a_training(qtbot: Any, make_window: Any, named: None) -> None:
    _, dialog = _open(qtbot, make_window)
    dialog.epochs.setValue(5000)  # minutes of work unless cancelled
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.bar.maximum() > 1 and dialog.bar.value() > 0, timeout=WAIT_MS)
    assert dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Cancelled"), timeout=WAIT_MS)
    assert dialog.outcome is None and dialog.start_button.isEnabled() and not dialog.use_button.isEnabled()


def _outcome(mode: str, before: float | None, after: float | None, adopted: bool, result: Any = None) -> Any:
    """A core RunOutcome as a finished run of ``mode`` hands it over (its own metric and reason texts)."""
    from core.training.runs import RunOutcome, RunRequest, TrainingRun

    metric = {"finetune": "LFW verification (fold 1)", "scratch": "62-way identification (seed notebook vs this CNN)",
              "personal": "Recognition of held-out faces (20 faces, 6 people)"}[mode]
    reason = {"finetune": "LFW fold 1 verification 97.10% -> 97.40%; better than the pretrained model",
              "scratch": "a 60x60 research model: it cannot embed the library's faces",
              "personal": "not adopted: held-out accuracy 80.0% -> 79.0% on 20 faces of 6 people"}[mode]
    return RunOutcome(mode, metric, before, after, adopted, reason, None, [1.0, 0.5, 0.25],
                      TrainingRun(RunRequest(mode), None), result)


@pytest.mark.parametrize("mode", ["finetune", "scratch", "personal"])
def test_the_result_in_plain_words(qtbot: Any, make_window: Any, mode: str) -> None:
    """What each mode's result says: what was measured and whether the model is worth using, without
    "LFW verification", "seed notebook" or "held-out"; and no Data folder for a personal training."""
    window = make_window()
    window.actions_by_name["train"].trigger()
    dialog = find_dialog(qtbot, window, TrainDialog)
    dialog.set_mode(mode)
    assert dialog.data.isEnabled() == (mode != "personal") == dialog.data.isVisible()
    before, after = (0.971, 0.974) if mode == "finetune" else (0.613, 0.58) if mode == "scratch" else (0.80, 0.79)
    dialog.controller.finished.emit(_outcome(mode, before, after, mode == "finetune"))
    text = dialog.result.text()
    assert _jargon(dialog) == []
    expected = {"finetune": ["Accuracy on the public face test set (LFW)", "97.1% before, 97.4% after",
                             "Better than the standard model."],
                "scratch": ["named correctly: 58.0%", "61.3%", "cannot be used for your library"],
                "personal": ["80.0% before, 79.0% after", "Not better than the model in use"]}[mode]
    for words in expected:
        assert words in text, (words, text)
    dialog.grab()
