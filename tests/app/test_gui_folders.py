"""Defect 8: double-clicking a folder on the Folders page silently imported it again and regrouped.
Now it opens the folder (a tree of the folders holding photos); importing again is the explicit
Import Again command only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, seed
from PySide6.QtCore import Qt

PATHS = ["/home/ann/Pictures/2020/a.jpg", "/home/ann/Pictures/2020/b.jpg", "/home/ann/Pictures/2020/trip/c.jpg",
         "/home/ann/Pictures/d.jpg", "/media/usb/e.jpg"]


def test_double_click_opens_a_folder_and_never_imports(qtbot: Any, make_window: Any, lib_path: Path,
                                                       factory: Any) -> None:
    seed(lib_path, lambda s: [factory.photo(s, path=p) for p in PATHS])
    window = make_window()
    window.ctx.settings.add_folders(lib_path, ["/home/ann/Pictures"])
    window.pages["folders"].set_folders(window.ctx.settings.folders(lib_path))
    started: list[Any] = []
    window.ctx.imports.started.connect(started.append)
    asked: list[Any] = []
    page = window.pages["folders"]
    page.importRequested.connect(asked.append)
    window.show_page("folders")
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 2, timeout=WAIT_MS)
    tops = [page.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) for i in range(2)]
    assert tops == ["/home/ann/Pictures", "/media/usb"]  # "/home/ann" folds into its only child
    assert page.item_for("/home/ann/Pictures/2020/trip") is not None  # subfolders appear when opened
    items = {item.data(0, Qt.ItemDataRole.UserRole): item for item in page._items()}
    assert set(items) == {"/home/ann/Pictures", "/home/ann/Pictures/2020", "/home/ann/Pictures/2020/trip",
                          "/media/usb"}
    assert items["/home/ann/Pictures"].text(1) == "4"
    target = items["/home/ann/Pictures/2020"]
    page.tree.scrollToItem(target)
    rect = page.tree.visualItemRect(target)
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.opened is None  # one click chooses, it does not open
    qtbot.mouseDClick(page.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.photos.has_loaded and page.photos.rowCount() == 3, timeout=WAIT_MS)
    assert page.right.currentWidget() is page.grid
    assert sorted(page.photos.photo(r).path for r in range(3)) == sorted(PATHS[:3])
    assert not started and not asked and not window.ctx.imports.running  # opening is not importing
    qtbot.keyClick(page.tree, Qt.Key.Key_Return)  # the keyboard opens too
    assert not started and not asked
    page.tree.setCurrentItem(items["/home/ann/Pictures"])
    assert page.remove_button.isEnabled()  # an added folder
    page.rescan_button.click()  # the explicit command
    assert asked == [["/home/ann/Pictures"]]
    window.ctx.imports.cancel()
