"""Capability: "Are these the same person?" for look-alike groups and people; Yes merges, a No is
remembered (never asked again, undoable)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, add_faces, centres, find_dialog, pin_thresholds, read, samples, seed
from PySide6.QtCore import Qt

from app.views.merge_dialog import MergeDialog
from core.library import queries
from core.library.merge_suggestions import suggest_merges


def test_same_person_yes_merges_and_no_is_remembered(qtbot: Any, make_window: Any, lib_path: Path,
                                                     factory: Any) -> None:
    c = centres(3, seed=9)

    def make(session: Any) -> dict[str, int]:
        from core.library.people import assign_faces

        pin_thresholds(session)
        ann = assign_faces(session, add_faces(session, factory, samples(c[0], 4, seed=1)), "Ann").id
        ann_group = factory.cluster(session, add_faces(session, factory, samples(c[0], 3, seed=2)))
        bo_1 = factory.cluster(session, add_faces(session, factory, samples(c[1], 3, seed=3)))
        bo_2 = factory.cluster(session, add_faces(session, factory, samples(c[1], 2, seed=4)))
        factory.cluster(session, add_faces(session, factory, samples(c[2], 3, seed=5)))
        return {"ann": ann, "ann_group": ann_group, "bo_1": bo_1, "bo_2": bo_2}

    ids = seed(lib_path, make)
    window = make_window()
    qtbot.waitUntil(lambda: "Ann" in window.ops.people.values(), timeout=WAIT_MS)
    window.actions_by_name["same_person"].trigger()
    dialog = find_dialog(qtbot, window, MergeDialog)
    qtbot.waitUntil(lambda: dialog.current() is not None, timeout=WAIT_MS)
    asked = {(dialog.current().a, dialog.current().b)}
    first = dialog.current()
    assert dialog.question.text() == "Are these the same person?"
    if first.b == ("person", ids["ann"]):
        assert dialog.captions[1].text() == "Ann · 4 faces"
    dialog.answer("no")  # the first pair is not one person
    qtbot.waitUntil(lambda: dialog.current() is not None and (dialog.current().a, dialog.current().b) not in asked,
                    timeout=WAIT_MS)
    second = dialog.current()
    qtbot.keyClick(dialog, Qt.Key.Key_Y)  # the other pair is
    qtbot.waitUntil(lambda: dialog.current() is None and "No look-alikes" in dialog.question.text(),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: read(window, suggest_merges) == [], timeout=WAIT_MS)  # the "no" is remembered
    if second.b[0] == "person":
        qtbot.waitUntil(lambda: [p.face_count for p in read(window, queries.list_people)] == [7], timeout=WAIT_MS)
    else:
        qtbot.waitUntil(lambda: sorted(g.face_count for g in read(window, queries.list_clusters)) in ([3, 3, 5],),
                        timeout=WAIT_MS)
    dialog.close()
    window.actions_by_name["undo"].trigger()  # the merge
    window.actions_by_name["undo"].trigger()  # the "no"
    qtbot.waitUntil(lambda: len(read(window, suggest_merges)) == 2, timeout=WAIT_MS)
