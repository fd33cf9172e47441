"""Review: "Is this NAME?" answered with Y / N / S; undo of an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_support import WAIT_MS, add_faces, blend, centres, pin_thresholds, read, samples, seed
from PySide6.QtCore import Qt

from app.views.review_page import ReviewPage
from core.library import grouping, queries
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
    qtbot.keyClick(page, Qt.Key.Key_S)  # the last one skipped: asked again, never hidden
    assert page.current() is not None and page.current().face_id == third and not page.empty.isVisible()
    assert {first, second, third} == set(candidates)
    qtbot.waitUntil(lambda: read(window, queries.status).review_items == 1, timeout=WAIT_MS)  # the skipped one
    window.actions_by_name["undo"].trigger()  # undo the "no"
    qtbot.waitUntil(lambda: read(window, queries.status).review_items == 2, timeout=WAIT_MS)


def _three_suggestions(lib_path: Path, factory: Any) -> tuple[int, list[int]]:
    def make(session: Any) -> tuple[int, list[int]]:
        from core.library.people import name_cluster

        person = name_cluster(session, factory.cluster(session, factory.faces(session, 2)), "Hedy").id
        candidates = factory.faces(session, 3)
        session.add_all(ReviewItem(face_id=f, person_id=person, distance=0.5 + i / 10)
                        for i, f in enumerate(candidates))
        return person, candidates

    return seed(lib_path, make)


def _badge(window: Any) -> int:
    from app.views.sidebar import COUNT_ROLE

    keys = window.sidebar.keys()
    return window.sidebar.list.item(keys.index("review")).data(COUNT_ROLE)


def test_undo_of_an_answer_asks_it_again(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    """Defect 1: N then Ctrl+Z left the badge at 2 and the page at "Nothing to review"."""
    _person, candidates = _three_suggestions(lib_path, factory)
    window = make_window()
    window.show_page("review")
    page: ReviewPage = window.pages["review"]
    qtbot.waitUntil(lambda: page.loaded and page.current() is not None, timeout=WAIT_MS)
    answered = []
    for _ in range(3):
        shown = page.current().face_id
        answered.append(shown)
        qtbot.keyClick(page, Qt.Key.Key_N)
        qtbot.waitUntil(lambda shown=shown: page.current() is None or page.current().face_id != shown,
                        timeout=WAIT_MS)
    qtbot.waitUntil(lambda: read(window, queries.status).review_items == 0 and _badge(window) == 0,
                    timeout=WAIT_MS)
    assert page.empty.isVisible()
    window.actions_by_name["undo"].trigger()  # the last "no" comes back, and is shown at once
    qtbot.waitUntil(lambda: page.current() is not None and page.current().face_id == answered[-1],
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: _badge(window) == 1, timeout=WAIT_MS)
    assert page.header.subtitle.text() == "1 suggestion to check"
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: page.current() is not None and page.current().face_id == answered[-2]
                    and page.total == 2, timeout=WAIT_MS)
    assert sorted(s.face_id for s in page.queue) == sorted(answered[-2:]) == sorted(candidates[:0] + answered[1:])


def test_skipped_suggestions_come_back(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    """Defect 1: skipped items vanished until a restart; now they are asked after the others."""
    _person, candidates = _three_suggestions(lib_path, factory)
    window = make_window()
    window.show_page("review")
    page: ReviewPage = window.pages["review"]
    qtbot.waitUntil(lambda: page.loaded and page.current() is not None, timeout=WAIT_MS)
    skipped = page.current().face_id
    qtbot.keyClick(page, Qt.Key.Key_S)
    others = []
    for _ in range(2):
        shown = page.current().face_id
        assert shown != skipped
        others.append(shown)
        qtbot.keyClick(page, Qt.Key.Key_Y)
        qtbot.waitUntil(lambda shown=shown: page.current() is not None and page.current().face_id != shown,
                        timeout=WAIT_MS)
    qtbot.waitUntil(lambda: read(window, queries.status).review_items == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.loaded and page.current() is not None and page.current().face_id == skipped
                    and _badge(window) == page.total == 1, timeout=WAIT_MS)
    assert not page.empty.isVisible() and sorted([skipped, *others]) == sorted(candidates)
    window.show_page("people")  # and after leaving the page and coming back
    window.show_page("review")
    qtbot.waitUntil(lambda: page.loaded and page.current() is not None, timeout=WAIT_MS)
    assert page.current().face_id == skipped


def test_review_follows_group_faces_again(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    """Defect 2: with Review open, People > Group Faces Again made suggestions; the badge said 4
    and the page 0. Real grouping (in the import process) on synthetic embeddings."""
    c = centres(4, seed=2)

    def make(session: Any) -> list[int]:
        from core.library.people import assign_faces

        pin_thresholds(session)
        assign_faces(session, add_faces(session, factory, samples(c[0], 4, seed=1)), "Ann")
        return add_faces(session, factory, [blend(c[0], c[k], t) for k, t in ((1, 0.54), (2, 0.56), (3, 0.58))])

    new = seed(lib_path, make)
    window = make_window()
    window.show_page("review")
    page: ReviewPage = window.pages["review"]
    qtbot.waitUntil(lambda: page.loaded, timeout=WAIT_MS)
    assert page.current() is None and page.empty.isVisible()
    with qtbot.waitSignal(window.ctx.imports.finished, timeout=60_000):
        window.actions_by_name["regroup"].trigger()
    suggested = window.ctx.imports.last.grouping.suggested
    assert suggested >= 1
    qtbot.waitUntil(lambda: page.current() is not None and page.total == suggested == _badge(window),
                    timeout=WAIT_MS)
    in_library = {s.face_id for s in read(window, lambda s: grouping.review_queue(s, None))}
    assert {s.face_id for s in page.queue} == in_library and in_library <= set(new)
    assert page.question.text() == "Is this Ann?"


def test_confirm_a_persons_suggestions_in_bulk(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    """Capability: "Review N more photos of Hedy": one person's suggestions in a grid, all selected;
    click off the wrong ones, one key confirms; Space shows the whole photo; one undo takes it back."""
    def make(session: Any) -> tuple[int, list[int]]:
        from core.library.people import name_cluster

        person = name_cluster(session, factory.cluster(session, factory.faces(session, 2)), "Hedy").id
        candidates = factory.faces(session, 4)
        session.add_all(ReviewItem(face_id=f, person_id=person, distance=0.5 + i / 10)
                        for i, f in enumerate(candidates))
        return person, candidates

    person, candidates = seed(lib_path, make)
    window = make_window()
    window.activateWindow()
    window.show_page("review")
    page: ReviewPage = window.pages["review"]
    qtbot.waitUntil(lambda: page.loaded and page.current() is not None and page.bulk_button.isVisible(),
                    timeout=WAIT_MS)
    assert page.bulk_button.text() == "&All 4 of Hedy"
    page.bulk_button.click()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.bulk and page.bulk.grid.count() == 4, timeout=WAIT_MS)
    grid = page.bulk.grid
    assert sorted(page.bulk.chosen()) == sorted(candidates)  # all pre-selected
    wrong = grid.item(2)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualItemRect(wrong).center())
    wrong_face = wrong.data(Qt.ItemDataRole.UserRole)
    assert wrong_face not in page.bulk.chosen() and len(page.bulk.chosen()) == 3
    grid.setCurrentItem(grid.item(0), grid.selectionModel().SelectionFlag.NoUpdate)
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Space)  # the whole photo, one key away
    qtbot.waitUntil(lambda: window.current_page() == "viewer", timeout=WAIT_MS)
    window.go_back()
    assert window.current_page() == "review" and page.stack.currentWidget() is page.bulk
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    def hedy() -> list[int]:
        return sorted(f.id for f in read(window, lambda s: queries.faces_of_person(s, person)))

    qtbot.waitUntil(lambda: len(hedy()) == 5 and read(window, queries.status).review_items == 0, timeout=WAIT_MS)
    assert wrong_face not in hedy()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty, timeout=WAIT_MS)
    window.actions_by_name["undo"].trigger()  # one step
    qtbot.waitUntil(lambda: len(hedy()) == 2 and read(window, queries.status).review_items == 4, timeout=WAIT_MS)
