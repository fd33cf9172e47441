"""Defect 3: naming a group recognised nobody until People > Group Faces Again. Now the named
person's faces among the unnamed ones are recognised at once, in the background."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, add_faces, blend, centres, pin_thresholds, read, samples
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from app.itemmodels import roles
from app.views.cards_page import CardsPage
from core.library import grouping, queries
from core.storage.engine import open_library


def test_naming_a_group_recognises_that_person_at_once(qtbot: Any, make_window: Any, lib_path: Path,
                                                       factory: Any) -> None:
    c = centres(5, seed=4)
    with open_library(lib_path) as lib:
        with lib.session() as s:
            pin_thresholds(s)
            ann = add_faces(s, factory, samples(c[0], 4, seed=1))
        grouping.regroup(lib)  # Ann's faces make one unnamed group
        with lib.session() as s:  # then more photos of her come in, and two borderline faces
            new = add_faces(s, factory, samples(c[0], 2, seed=50))
            borderline = add_faces(s, factory, [blend(c[0], c[k], t) for k, t in ((2, 0.54), (3, 0.56))])
            group = queries.list_clusters(s)[0].id
            assert sorted(f.id for f in queries.faces_of_cluster(s, group)) == sorted(ann)
    window = make_window()
    window.show_page("groups")
    groups: CardsPage = window.pages["groups"]
    row = next(r for r in range(groups.proxy.rowCount()) if groups.proxy.index(r, 0).data(roles.ID) == group)
    groups.view.setCurrentIndex(groups.proxy.index(row, 0))
    qtbot.keyClick(groups.view, Qt.Key.Key_F2)
    editor = next(e for e in groups.view.findChildren(QLineEdit) if e.isVisible())
    editor.setText("Ann")
    qtbot.keyClick(editor, Qt.Key.Key_Return)

    def ann_faces() -> list[int]:
        people = read(window, queries.list_people)
        return sorted(f.id for p in people for f in read(window, lambda s, p=p: queries.faces_of_person(s, p.id)))

    qtbot.waitUntil(lambda: ann_faces() == sorted(ann + new), timeout=WAIT_MS)  # no Group Faces Again
    qtbot.waitUntil(lambda: sorted(q.face_id for q in read(window, lambda s: grouping.review_queue(s, None)))
                    == sorted(borderline), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.people_model.rowCount() == 1
                    and window.people_model.index(0).data(roles.SUBTITLE).startswith("6 "), timeout=WAIT_MS)
    assert "recognised" in window.statusBar().currentMessage()
