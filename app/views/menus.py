"""The main window's menu bar: every action with a mnemonic and a keyboard shortcut."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from app.views.sidebar import PAGES
from app.views.train_dialog import open_train_dialog

if TYPE_CHECKING:
    from app.views.main_window import MainWindow


def _action(window: MainWindow, text: str, slot: Callable[[], object],
            shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
            icon: str | None = None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(window.ctx.theme.icon(icon))
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    return action


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Create the menus; returns the actions by name (tests and toolbars use them)."""
    ctx = window.ctx
    bar = window.menuBar()
    actions: dict[str, QAction] = {}

    file = bar.addMenu("&File")
    actions["add_folder"] = _action(window, "&Add Folder…", window.choose_folder, QKeySequence.StandardKey.Open,
                                    "folder-add", "Import every photo in a folder and its subfolders")
    actions["add_photos"] = _action(window, "Add &Photos…", window.choose_photos, "Ctrl+Shift+O", "photos")
    actions["cancel_import"] = _action(window, "&Cancel Import", ctx.imports.cancel, None, "cancel")
    cancel = actions["cancel_import"]
    cancel.setEnabled(ctx.imports.running)  # only while an import or a grouping runs
    ctx.imports.started.connect(lambda _paths: cancel.setEnabled(True))
    ctx.imports.finished.connect(lambda _outcome: cancel.setEnabled(bool(ctx.imports.queue)))  # next one waits
    ctx.imports.failed.connect(lambda _text: cancel.setEnabled(bool(ctx.imports.queue)))
    actions["report"] = _action(window, "Import &Report…", window.show_report, None, "report")
    actions["settings"] = _action(window, "&Settings…", window.show_settings, QKeySequence.StandardKey.Preferences,
                                  "settings")
    if actions["settings"].shortcut().isEmpty():
        actions["settings"].setShortcut(QKeySequence("Ctrl+,"))
    actions["quit"] = _action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    for key in ("add_folder", "add_photos", "cancel_import", "report"):
        file.addAction(actions[key])
    file.addSeparator()
    file.addAction(actions["settings"])
    file.addSeparator()
    file.addAction(actions["quit"])

    edit = bar.addMenu("&Edit")
    undo = ctx.undo.stack.createUndoAction(window, "&Undo")
    undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
    undo.setIcon(ctx.theme.icon("undo"))
    redo = ctx.undo.stack.createRedoAction(window, "&Redo")
    redo.setShortcuts(list(dict.fromkeys([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"),
                                          QKeySequence(QKeySequence.StandardKey.Redo)])))
    redo.setIcon(ctx.theme.icon("redo"))
    window.addAction(undo)
    window.addAction(redo)
    actions["undo"], actions["redo"] = undo, redo
    edit.addAction(undo)
    edit.addAction(redo)
    edit.addSeparator()
    actions["find"] = _action(window, "&Find Person", window.find_person, QKeySequence.StandardKey.Find, "search")
    edit.addAction(actions["find"])

    view = bar.addMenu("&View")
    for number, (key, text, icon) in enumerate(PAGES, start=1):
        actions[f"page_{key}"] = _action(window, f"&{text}", partial(window.show_page, key),
                                         f"Ctrl+{number}", icon)
        view.addAction(actions[f"page_{key}"])
    view.addSeparator()
    actions["back"] = _action(window, "&Back", window.go_back, "Alt+Left", "back")
    view.addAction(actions["back"])
    actions["show_hidden"] = QAction("Show &Hidden People", window)
    actions["show_hidden"].setCheckable(True)
    actions["show_hidden"].toggled.connect(window.set_show_hidden)
    view.addAction(actions["show_hidden"])

    people = bar.addMenu("&People")
    actions["rename"] = _action(window, "&Name or Rename", window.name_current, "F2", "people")
    actions["merge"] = _action(window, "&Merge Selected", window.merge_current, "Ctrl+M", "merge")
    actions["hide"] = _action(window, "&Hide or Show", window.hide_current, "Ctrl+H", "hide")
    for key in ("rename", "merge", "hide"):
        people.addAction(actions[key])
    people.addSeparator()
    actions["review"] = _action(window, "&Review Suggestions", lambda: window.show_page("review"), None, "review")
    actions["regroup"] = _action(window, "&Group Faces Again", ctx.imports.regroup, None, "groups",
                                 "Recognise named people in new faces and group the rest again")
    actions["same_person"] = _action(window, "Are These the &Same Person?", window.show_merge_suggestions, None,
                                     "merge", "Groups and people that look alike: merge them, or say they differ")
    people.addAction(actions["review"])
    people.addAction(actions["same_person"])
    people.addAction(actions["regroup"])

    train = bar.addMenu("&Train")
    actions["train"] = _action(window, "&Train a Model…", lambda: open_train_dialog(window), None, None,
                               "Learn from the people you named, or fine-tune FaceNet, and switch models")
    train.addAction(actions["train"])

    help_menu = bar.addMenu("&Help")
    actions["about"] = _action(window, "&About FaceNet Organizer", window.show_about)
    help_menu.addAction(actions["about"])
    return actions
