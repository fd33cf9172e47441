"""Small building blocks shared by the pages: header, empty state, name prompt, confirm."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class PageHeader(QWidget):
    """Title, subtitle and a row of tools on the right."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 12, 14, 12)
        layout.setSpacing(8)
        self.leading = QHBoxLayout()
        self.leading.setSpacing(4)
        layout.addLayout(self.leading)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(title)
        self.title.setObjectName("pageTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("pageSubtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        layout.addLayout(titles)
        layout.addStretch(1)
        self.tools = QHBoxLayout()
        self.tools.setSpacing(6)
        layout.addLayout(self.tools)

    def add(self, widget: QWidget) -> QWidget:
        self.tools.addWidget(widget)
        return widget


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


class NamePrompt(QDialog):
    """Asks for a person's name, offering the existing names as you type."""

    def __init__(self, parent: QWidget, title: str, label: str, names: list[str], text: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        caption = QLabel(label)
        caption.setWordWrap(True)
        self.edit = QLineEdit(text)
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
