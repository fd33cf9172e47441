"""The Train dialog: a personal training on a small library with progress, a loss curve and the
before/after result, "Use this model" switching the library, and cancelling a run."""

from __future__ import annotations

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
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=WAIT_MS)
    outcome = dialog.outcome
    assert updates and any(u.loss is not None for u in updates)
    assert outcome.adopted and outcome.after > outcome.before and outcome.model is not None
    assert "before" in dialog.result.text() and "Adopted" in dialog.result.text()
    assert len(dialog.curve.points) == len(outcome.losses) > 10
    assert dialog.use_button.isEnabled() and dialog.start_button.isEnabled()
    dialog.grab()  # paints the loss curve

    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "now uses" in dialog.status.text(), timeout=WAIT_MS)
    assert "60 faces embedded (60 from stored" in dialog.status.text()
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
