"""Issue 14, defect 11: the smaller things a new user saw (each test failed before its fix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, find_dialog, seed
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget

from app.importing import ImportStatus
from app.views.import_status import describe
from app.views.photo_scene import PhotoCanvas
from app.views.settings_dialog import SettingsDialog
from app.views.train_dialog import MODE_LABELS, TrainDialog
from core.library.queries import FaceInfo


def test_cancel_import_is_enabled_only_while_something_runs(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    cancel = window.actions_by_name["cancel_import"]
    assert not cancel.isEnabled()
    outcomes: list[Any] = []
    window.ctx.imports.finished.connect(outcomes.append)
    window.ctx.imports.regroup()  # an empty library: the grouping job starts and ends
    assert cancel.isEnabled()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    assert not cancel.isEnabled()


def _labels_with_ampersand(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel) if "&" in label.text() and label.buddy() is None]


def test_no_label_shows_a_literal_ampersand(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    window.actions_by_name["settings"].trigger()
    settings = find_dialog(qtbot, window, SettingsDialog)
    assert _labels_with_ampersand(settings) == []
    settings.reject()
    window.actions_by_name["train"].trigger()
    train = find_dialog(qtbot, window, TrainDialog)
    assert _labels_with_ampersand(train) == []
    train.close()


def _selected_row_colour(combo: QComboBox) -> QColor:
    combo.showPopup()
    view = combo.view()
    QApplication.processEvents()
    rect = view.visualRect(combo.model().index(combo.currentIndex(), 0))
    image = view.viewport().grab().toImage()
    colour = image.pixelColor(rect.left() + 3, rect.center().y())
    combo.hidePopup()
    return colour


def test_the_selected_row_of_a_drop_down_is_highlighted(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    accent = QColor(window.ctx.theme.colors.accent)
    combos = [window.pages["people"].sort]
    window.actions_by_name["settings"].trigger()
    settings = find_dialog(qtbot, window, SettingsDialog)
    combos.append(settings.detector)
    for combo in combos:
        combo.setCurrentIndex(1)
        colour = _selected_row_colour(combo)
        assert abs(colour.hue() - accent.hue()) < 8 and colour.saturation() > 150, (combo, colour.name())
    settings.reject()


def test_status_bar_counts_and_window_title(qtbot: Any, make_window: Any, lib_path: Path, factory: Any) -> None:
    def make(session: Any) -> None:
        from core.library.people import assign_faces

        assign_faces(session, factory.faces(session, 1), "Ada")

    seed(lib_path, make)
    window = make_window()
    qtbot.waitUntil(lambda: "person" in window.counts.text(), timeout=WAIT_MS)
    assert window.counts.text() == "1 photo · 1 face · 1 person"
    app = QApplication.instance()
    app.setApplicationDisplayName("FaceNet Organizer")
    try:  # Qt shows "<title> — <display name>": the title must not name the app again
        assert "FaceNet Organizer" not in window.windowTitle() and window.windowTitle() == "library"
    finally:
        app.setApplicationDisplayName("")


def test_grouping_status_says_grouping_once() -> None:
    assert describe(ImportStatus("group", message="grouping faces")) == "Grouping faces…"
    assert describe(ImportStatus("group", message="saving groups")) == "Grouping faces… saving groups"


def test_settings_shows_the_whole_library_path(qtbot: Any, make_window: Any) -> None:
    window = make_window()
    window.actions_by_name["settings"].trigger()
    dialog = find_dialog(qtbot, window, SettingsDialog)
    field = dialog.library
    assert field.width() >= field.fontMetrics().horizontalAdvance(field.text()) + 8, (field.width(), field.text())
    dialog.reject()


def test_a_face_box_stops_at_the_photo_edge(qtbot: Any) -> None:
    canvas = PhotoCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(640, 480)
    image = QImage(320, 240, QImage.Format.Format_RGB32)
    image.fill(QColor("#808080"))
    canvas.set_photo(image, 0.5, (640, 480))
    edge = FaceInfo(1, 1, "/p.jpg", (590.0, 400.0, 90.0, 110.0), 0.9, None, None, None, None, None)
    inside = FaceInfo(2, 1, "/p.jpg", (100.0, 100.0, 80.0, 80.0), 0.9, None, None, None, None, None)
    canvas.set_faces([edge, inside], {"named": "#0a6cff", "unnamed": "#ffd60a", "ignored": "#888888"})
    photo = QRectF(0, 0, 640, 480)
    for box in canvas.boxes:
        assert photo.contains(box.rect()), box.rect()
        assert photo.contains(box.tag.pos())
    assert canvas.boxes[1].rect() == QRectF(100, 100, 80, 80)


def test_training_dialog_speaks_plainly_and_hides_the_folder_in_personal_mode(qtbot: Any, make_window: Any) -> None:
    for text in MODE_LABELS.values():
        for jargon in ("LFW layout", "seed CNN", "CNN"):
            assert jargon not in text
    window = make_window()
    window.actions_by_name["train"].trigger()
    dialog = find_dialog(qtbot, window, TrainDialog)
    dialog.set_mode("personal")
    assert not dialog.data.isVisible() and not dialog.browse.isVisible()
    dialog.set_mode("finetune")
    assert dialog.data.isVisible() and dialog.data.isEnabled()
    dialog.close()
