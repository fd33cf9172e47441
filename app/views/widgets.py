"""Small building blocks shared by the pages: tool buttons, empty state, name prompt, confirm, page
layouts (the page header is :mod:`app.views.page_header`)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


def tool_button(text: str, icon: QIcon | None = None, tip: str = "", *, checkable: bool = False) -> QToolButton:
    """A flat toolbar button with text beside its icon."""
    button = QToolButton()
    button.setText(text)
    if icon is not None:
        button.setIcon(icon)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setToolTip(tip or text.replace("&", ""))
    button.setAccessibleName(text.replace("&", ""))
    button.setCheckable(checkable)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


class EmptyState(QWidget):
    """A centred message with an optional action button, for empty lists."""

    def __init__(self, title: str, text: str, action: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel(title)
        self.title.setObjectName("emptyTitle")
        self.text = QLabel(text)
        self.text.setObjectName("emptyText")
        self.text.setWordWrap(True)
        for label in (self.title, self.text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        self.button = QPushButton(action)
        self.button.setObjectName("primary")
        self.button.setVisible(bool(action))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addStretch(1)
        layout.addSpacing(10)
        layout.addLayout(row)
        layout.addStretch(2)


def count(n: int, one: str, many: str) -> str:
    """"1 person", "2 people", "1,234 photos"."""
    return f"{n:,} {one if n == 1 else many}"


def combo_box(parent: QWidget | None = None) -> QComboBox:
    """A drop-down whose list draws its rows with the style sheet's item rules: the default
    (menu-like) rows of a styled QComboBox drew the selected one blank."""
    combo = QComboBox(parent)
    combo.setItemDelegate(QStyledItemDelegate(combo))
    return combo


def _first_widget(item: QLayout | QWidget | None) -> QWidget | None:
    if isinstance(item, QWidget):
        return item
    if isinstance(item, QLayout):
        for i in range(item.count()):
            child = item.itemAt(i)
            if child is None:
                continue
            found = _first_widget(child.widget() or child.layout())
            if found is not None:
                return found
    return None


def link_form_labels(form: QFormLayout) -> None:
    """Give every label of ``form`` its field (the first widget of a field that is a layout) as
    buddy: a label without one shows its "&" instead of underlining the mnemonic."""
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is None or field is None or not isinstance(label.widget(), QLabel):
            continue
        buddy = _first_widget(field.widget() or field.layout())
        if buddy is not None:
            label.widget().setBuddy(buddy)  # type: ignore[union-attr]


class NameEdit(QLineEdit):
    """A name field whose Return is one Return, also while the completer's list is open: it takes
    the highlighted name (or keeps what was typed), closes the list and says :attr:`submitted`.
    (The open list passes Return to the field directly, past the event filters of item views
    and dialogs, so without this a second Return was needed.)"""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        completer = self.completer()
        popup = completer.popup() if completer is not None else None
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and popup is not None and popup.isVisible():
            index = popup.currentIndex()
            if index.isValid():
                self.setText(str(index.data(completer.completionRole())))
                self.setModified(True)
            popup.hide()
            event.accept()
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class NamePrompt(QDialog):
    """Asks for a person's name, offering the existing names as you type."""

    def __init__(self, parent: QWidget, title: str, label: str, names: list[str], text: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        caption = QLabel(label)
        caption.setWordWrap(True)
        self.edit = NameEdit(text)
        self.edit.setPlaceholderText("Name")
        self.edit.setAccessibleName("Name")
        caption.setBuddy(self.edit)
        completer = QCompleter(sorted(names, key=str.casefold), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(bool(text.strip()))
        self.edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.edit.submitted.connect(lambda: self.accept() if self.ok.isEnabled() else None)
        layout.addWidget(caption)
        layout.addWidget(self.edit)
        layout.addWidget(buttons)
        self.resize(360, self.sizeHint().height())

    def name(self) -> str:
        return " ".join(self.edit.text().split())


def ask_name(parent: QWidget, title: str, label: str, names: list[str], done: Callable[[str], None],
             text: str = "") -> NamePrompt:
    """Show a :class:`NamePrompt` (window-modal, not blocking); ``done(name)`` on OK."""
    prompt = NamePrompt(parent, title, label, names, text)
    prompt.accepted.connect(lambda: done(prompt.name()) if prompt.name() else None)
    prompt.finished.connect(prompt.deleteLater)
    prompt.open()
    return prompt


def confirm(parent: QWidget, title: str, text: str, yes: str, done: Callable[[], None],
            detail: str = "", cancelled: Callable[[], None] | None = None) -> QMessageBox:
    """A question with a named default button (not blocking); ``done()`` if the user agrees,
    ``cancelled()`` otherwise."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(detail)
    agree = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(agree)
    def answered(_result: int) -> None:
        if box.clickedButton() is agree:
            done()
        elif cancelled is not None:
            cancelled()

    box.finished.connect(answered)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def header_page(page: QWidget, header: QWidget, content: QWidget) -> None:
    """Lay ``page`` out as ``header`` over ``content`` (which takes the rest), edge to edge."""
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(header)
    layout.addWidget(content, 1)


def stack_page(page: QWidget, header: QWidget, content: QWidget, empty: QWidget) -> QStackedWidget:
    """Lay ``page`` out as a header over a stack that shows ``content`` or, when there is nothing yet,
    ``empty``; returns the stack."""
    stack = QStackedWidget()
    stack.addWidget(content)
    stack.addWidget(empty)
    header_page(page, header, stack)
    return stack
