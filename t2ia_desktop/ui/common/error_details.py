"""The Details… window of a failed job: its reason in plain words and copyable technical text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.generation.jobs import Job
from t2ia_desktop.core.paths import log_dir


def details_text(job: Job) -> str:
    """Everything worth pasting into a bug report about a failed job."""
    details = job.details or "(the worker gave no further details)"
    return f"{job.error or 'The job failed without a reason.'}\n\n{details}"


class ErrorDetailsDialog(QDialog):
    """Shows a failed job's reason and details; Copy puts them on the clipboard."""

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Why job {job.id} failed")
        self.resize(720, 420)
        reason = QLabel(job.error or "The job failed without a reason.")
        reason.setWordWrap(True)
        font = reason.font()
        font.setBold(True)
        reason.setFont(font)
        self.text_edit = QPlainTextEdit(details_text(job))
        self.text_edit.setReadOnly(True)
        self.text_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_edit.setToolTip("Select and copy, or press Copy to take all of it")
        hint = QLabel(f"The log file has more: {log_dir()}")
        hint.setWordWrap(True)
        hint.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the reason and the details to the clipboard")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(reason)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text_edit.toPlainText())


def show_error_details(job: Job, parent: QWidget | None = None) -> ErrorDetailsDialog:
    """Open the details window without blocking (the queue keeps running behind it)."""
    dialog = ErrorDetailsDialog(job, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
