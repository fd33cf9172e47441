"""Defects 4 and 5: during an import the Photos page showed "No photos yet" (and offered Add Folder)
and the counters stayed at 0 while the status bar said "Importing 138 of 269"; the speed jumped
(71.5, then 9 photos/s). Now the photos appear as they are committed, the speed comes from committed
photos and shows only after two commits, and there is no time left until the speed is steady.
Real LFW photos, the real importer in its child process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_gui_import import IMPORT_WAIT_MS, _finished, drop, lfw_folder

from app.views.import_status import describe

pytestmark = pytest.mark.lfw


def test_photos_appear_while_they_are_imported(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    folder = lfw_folder(tmp_path, 90)
    window = make_window(pipeline=True)
    window.show_page("photos")
    page = window.pages["photos"]
    imports = window.ctx.imports
    qtbot.waitUntil(lambda: window.photos_model.has_loaded, timeout=10_000)  # its count is read in the background
    assert page.empty.isVisible() and page.empty.button.isVisible()  # an empty library: "Add Folder"
    seen: list[tuple[bool, int, bool]] = []  # while importing: (running, rows shown, empty state shown)
    window.photos_model.loaded.connect(lambda: seen.append(
        (imports.running, window.photos_model.rowCount(), page.stack.currentWidget() is page.empty)))
    counts: list[tuple[bool, str]] = []
    window.sidebar.list.model().dataChanged.connect(lambda *_: counts.append((imports.running, window.counts.text())))
    statuses: list[Any] = []
    commits: list[int] = []
    imports.committed.connect(commits.append)
    imports.progress.connect(lambda s: statuses.append((len(commits), s, describe(s))))
    outcomes = _finished(window)
    assert drop(window, [folder])
    qtbot.waitUntil(lambda: page.empty.title.text() == "Importing photos…", timeout=10_000)
    assert not page.empty.button.isVisible()  # no "Add Folder" while photos are coming in
    qtbot.waitUntil(lambda: bool(outcomes), timeout=IMPORT_WAIT_MS)
    total = outcomes[0].report.photos_new
    assert total == 90 and len(commits) >= 2
    assert commits[0] <= 4  # the first transaction is small, so the first photos show soon
    during = [rows for running, rows, empty in seen if running and rows and not empty]
    assert during and min(during) < total, seen  # some photos were shown before the import ended
    assert any(running and not text.startswith("0 photos") for running, text in counts), counts
    for n_commits, status, line in statuses:
        if "photos/s" in line:  # a speed only once two commits measured it
            assert n_commits >= 2 and status.rate > 0, (n_commits, line)
        if "left" in line:
            assert n_commits >= 3, (n_commits, line)
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == total, timeout=10_000)
