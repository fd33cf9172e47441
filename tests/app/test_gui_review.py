"""Review: "Is this NAME?" answered with Y / N / S; undo of an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_support import WAIT_MS, read, seed
from PySide6.QtCore import Qt

from app.views.review_page import ReviewPage
from core.library import queries
from core.storage.schema import ReviewItem

pytest.importorskip("core.library.grouping", reason="waits for core.library.grouping.review_queue")


def test_review_with_keys(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    def make(session: Any) -> tuple[int, list[int]]:
        from core.library.people import name_cluster

        person = name_cluster(session, factory.cluster(session, factory.faces(session, 2)), "Hedy").id
        candidates = factory.faces(session, 3)
        session.add_all(ReviewItem(face_id=f, person_id=person, distance=0.5 + i / 10)
                        for i, f in enumerate(candidates))
        return person, candidates

    person, candidates = seed(lib_path, make)
    window = make_window()
    window.show_page("review")
    page: ReviewPage = window.pages["review"]
    qtbot.waitUntil(lambda: page.loaded and page.current() is not None, timeout=WAIT_MS)
    assert page.question.text() == "Is this Hedy?"
    first = page.current().face_id
    qtbot.keyClick(page, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: first in {f.id for f in read(window, lambda s: queries.faces_of_person(s, person))},
                    timeout=WAIT_MS)
    def showing_other(*seen: int) -> bool:  # the page reloads after each answer: wait until it settles
        return page.loaded and page.current() is not None and page.current().face_id not in seen

    qtbot.waitUntil(lambda: showing_other(first), timeout=WAIT_MS)
    second = page.current().face_id
    qtbot.keyClick(page, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: showing_other(first, second), timeout=WAIT_MS)
    third = page.current().face_id
    qtbot.keyClick(page, Qt.Key.Key_S)
    assert page.current() is None and page.empty.isVisible()
    assert {first, second, third} == set(candidates)
    qtbot.waitUntil(lambda: read(window, queries.status).review_items == 1, timeout=WAIT_MS)  # the skipped one
    window.actions_by_name["undo"].trigger()  # undo the "no"
    qtbot.waitUntil(lambda: read(window, queries.status).review_items == 2, timeout=WAIT_MS)
