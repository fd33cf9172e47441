"""Importing by dropping folders on the window: progress in the status bar, the result in
the pages, cancel and resume. Real photos (LFW), the real core importer and models, in the
warm child process the app keeps for its imports (core.library.import_worker_process)."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest
from gui_support import read
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.importing import ImportOutcome
from app.views.import_status import describe
from core.library import queries
from core.paths import lfw_default

pytestmark = pytest.mark.lfw
IMPORT_WAIT_MS = 240_000


def lfw_folder(tmp_path: Path, n: int, name: str = "photos", start: int = 0) -> Path:
    """``n`` LFW photos (first photo of the first people from ``start`` on) copied into a new folder."""
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW)")
    folder = tmp_path / name
    folder.mkdir()
    people = sorted(p for p in (root / "images").iterdir() if p.is_dir())
    for person in people[start:start + n]:
        shutil.copy2(sorted(person.glob("*.jpg"))[0], folder)
    return folder


def drop(target: QWidget, paths: list[Path]) -> bool:
    """Drag files in from outside the app and drop them on ``target``; whether it took them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(target.rect().center())
    actions, buttons = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    enter = QDragEnterEvent(pos, actions, mime, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(pos, actions, mime, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)
    return event.isAccepted()


def _finished(window: Any) -> list[ImportOutcome]:
    outcomes: list[ImportOutcome] = []
    window.ctx.imports.finished.connect(outcomes.append)
    window.ctx.imports.failed.connect(lambda text: outcomes.append(ImportOutcome(errors=[("", text)])))
    return outcomes


def test_drop_a_folder_on_the_grid_imports_it_with_progress(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    folder = lfw_folder(tmp_path, 3)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    window = make_window(pipeline=True)
    window.show_page("groups")
    lines: list[str] = []
    window.ctx.imports.progress.connect(lambda status: lines.append(describe(status)))
    outcomes = _finished(window)
    assert drop(window.pages["groups"].view.viewport(), [folder])  # forwarded to the window
    assert window.import_status.isVisible() and window.import_status.cancel_button.isVisible()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=IMPORT_WAIT_MS)
    outcome = outcomes[0]
    assert not outcome.cancelled and outcome.report.photos_new == 3
    assert any(line.startswith("Importing") and "of 4 photos" in line for line in lines), lines
    assert [Path(p).name for p, _ in outcome.errors] == ["broken.jpg"]
    assert window.import_status.report_button.isVisible()
    window.import_status.report_button.click()
    qtbot.waitUntil(lambda: window.report_dialog.model.rowCount() >= 1, timeout=10_000)
    window.report_dialog.close()
    qtbot.waitUntil(lambda: "4 photos" in window.counts.text(), timeout=10_000)  # the bad one is listed too
    assert str(folder) in window.ctx.settings.folders(window.ctx.store.library.path)
    assert read(window, queries.status).done == 3
    if outcome.grouping is None:
        pytest.skip(f"waits for core.library.grouping ({outcome.grouping_error})")
    counts = read(window, queries.status)  # the pages show what the core grouped
    qtbot.waitUntil(lambda: (window.groups_model.rowCount(), window.people_model.rowCount())
                    == (counts.clusters, counts.people), timeout=10_000)


def test_cancel_an_import_then_import_again_resumes(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    folder = lfw_folder(tmp_path, 6)
    window = make_window(pipeline=True)
    outcomes = _finished(window)

    def cancel_at_once(_paths: list[str]) -> None:
        assert window.import_status.cancel_button.isVisible()
        window.import_status.cancel_button.click()

    window.ctx.imports.started.connect(cancel_at_once)
    assert drop(window, [folder])
    qtbot.waitUntil(lambda: bool(outcomes), timeout=IMPORT_WAIT_MS)
    window.ctx.imports.started.disconnect(cancel_at_once)
    assert outcomes[0].cancelled
    # the import process, if the cancel came after it was started, stays warm for the next import
    warm_pid = window.ctx.imports.worker.pid
    children = [p.pid for p in multiprocessing.active_children() if p.name == "faceorg-import"]
    assert children == ([] if warm_pid is None else [warm_pid])
    assert "cancelled" in window.import_status.label.text()
    first = read(window, queries.status)
    assert first.done < 6

    window.show_page("folders")
    folders = window.pages["folders"]
    assert folders.tree.topLevelItemCount() == 1
    folders.rescan_button.click()  # "Import Again" carries on where it stopped
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=IMPORT_WAIT_MS)
    assert not outcomes[1].cancelled
    assert read(window, queries.status).done == 6
    assert outcomes[1].report.photos_new == 6 - first.done
    worker = window.ctx.imports.worker
    assert worker.stats.pid == worker.pid and warm_pid in (None, worker.pid) and worker.stats.models_loaded == 1


def test_a_folder_dropped_during_an_import_waits_its_turn_then_regrouping_runs(
        qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    first, second = lfw_folder(tmp_path, 2, "first"), lfw_folder(tmp_path, 2, "second", start=2)
    window = make_window(pipeline=True)
    outcomes = _finished(window)
    imports = window.ctx.imports
    assert drop(window, [first])
    assert imports.running
    assert drop(window, [second])  # while the first runs
    assert imports.queue == [[second]]
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=IMPORT_WAIT_MS)
    assert [o.report.photos_new for o in outcomes] == [2, 2] and not any(o.cancelled for o in outcomes)
    assert read(window, queries.status).done == 4

    imports.strictness = "strict"
    imports.regroup()  # what a strictness change in Settings does
    qtbot.waitUntil(lambda: len(outcomes) == 3, timeout=IMPORT_WAIT_MS)
    assert outcomes[2].report is None and outcomes[2].grouping is not None
    assert outcomes[2].grouping.strictness == "strict"
    assert not imports.running and imports.queue == []


def test_the_import_process_is_warm_from_the_open_and_serves_every_import(
        qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    first, second = lfw_folder(tmp_path, 2, "first"), lfw_folder(tmp_path, 2, "second", start=2)
    window = make_window(pipeline=True, warm=True)
    worker = window.ctx.imports.worker
    warm_pid = worker.pid
    assert warm_pid is not None  # started when the library opened, before any import
    outcomes = _finished(window)
    assert drop(window, [first])
    qtbot.waitUntil(lambda: len(outcomes) == 1, timeout=IMPORT_WAIT_MS)
    assert drop(window, [second])
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=IMPORT_WAIT_MS)
    assert [o.report.photos_new for o in outcomes] == [2, 2]
    assert worker.stats.pid == warm_pid and worker.stats.jobs == 2
    assert worker.stats.models_loaded == 1  # loaded while the library opened, not again per import
    # and the library's photo index too: the second import reads only the rows the first one changed
    assert worker.stats.index is not None and worker.stats.index.kind in ("kept", "chunks")
    assert worker.stats.index.rows == 2  # what the first import stored, when the second began
    library_file = window.ctx.store.library.path
    window.close()  # closing the window stops the import process, then the library closes
    assert not Path(f"{library_file}-wal").exists()  # the app's connection was the last: the log folded back
    assert worker.pid is None
    qtbot.waitUntil(lambda: not [p for p in multiprocessing.active_children() if p.name == "faceorg-import"],
                    timeout=10_000)


def test_the_pages_do_not_reload_on_the_import_s_own_writes_but_do_on_another_process_s(
        qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    """Issue 14 (stalls at 100,000 photos): the window's watch for other processes' writes saw the
    import process's commits as news and reloaded every page (a 100,000-row reset) during the
    import, then once more after it. The import's photos show as they are committed and the pages
    reload once when it ends; what another process writes still shows."""
    import sqlite3

    folder = lfw_folder(tmp_path, 4)
    window = make_window(pipeline=True, warm=True)
    store = window.ctx.store
    store.watch_changes(50)  # look often (the app: every 10 s)
    qtbot.waitUntil(lambda: store._marker is not None, timeout=10_000)
    reloads: list[bool] = []
    store.changed.connect(lambda: reloads.append(window.ctx.imports.running))
    outcomes = _finished(window)
    assert drop(window, [folder])
    qtbot.waitUntil(lambda: len(outcomes) == 1, timeout=IMPORT_WAIT_MS)
    qtbot.wait(500)  # a few more looks at the library after the import
    assert outcomes[0].report.photos_new == 4
    assert reloads == [False]  # once, when the import ended; none during it, none after it
    other = sqlite3.connect(store.library.path)  # another program writes to the library
    other.execute("UPDATE photos SET taken_at = '2001-01-01 00:00:00' WHERE id = 1")
    other.commit()
    other.close()
    qtbot.waitUntil(lambda: len(reloads) == 2, timeout=10_000)
