"""Settings → Engine: make pictures on this computer, or on a t2ia server (``t2ia-desktop
serve``) given by its address and the token it printed at its first start.

Test connection asks the server for its replicas on a thread of its own and says what it found,
or why it could not (nothing answers, the token is refused, not a t2ia server). The token is
kept in a file only the artist can read (remote/saved_token.py), not in the settings file.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.settings import Settings
from t2ia_desktop.remote.saved_token import save_token, saved_token
from t2ia_desktop.runtime.engines.choice import LOCAL, SERVER, check_server
from t2ia_desktop.ui.common.styles import ERROR_STYLE


class _Answer(QObject):
    """Carries a connection test's outcome from its thread to the dialog."""

    arrived = Signal(bool, str)  # reached, what to show


class EngineGroup(QGroupBox):
    """The Engine part of the Settings dialog."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("Engine", parent)
        self.local_button = QRadioButton("On this computer")
        self.local_button.setToolTip("The app's own worker makes every picture (the default)")
        self.server_button = QRadioButton("Server")
        self.server_button.setToolTip(
            "A t2ia server (t2ia-desktop serve) makes the pictures: a GPU box in the studio, a "
            "rented GPU, several GPUs at once. Finished pictures are still kept here.")
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.local_button)
        self.choice.addButton(self.server_button)
        (self.server_button if settings.engine == SERVER else self.local_button).setChecked(True)
        self.url_edit = QLineEdit(settings.server_url)
        self.url_edit.setPlaceholderText("http://studio-gpu:8000")
        self.url_edit.setToolTip("The server's address, as `t2ia-desktop serve` printed it")
        self.token_edit = QLineEdit(saved_token())
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("the token printed by the server's first start")
        self.token_edit.setToolTip("Kept in a file only you can read, not in the settings file")
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self._answer = _Answer(self)
        self._answer.arrived.connect(self._show_answer)

        where = QHBoxLayout()
        where.addWidget(self.local_button)
        where.addWidget(self.server_button)
        where.addStretch(1)
        form = QFormLayout(self)
        form.addRow("Make pictures:", where)
        form.addRow("Server address:", self.url_edit)
        form.addRow("Token:", self.token_edit)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result_label, 1)
        form.addRow("", test_row)
        self.server_button.toggled.connect(self._follow_choice)
        self._follow_choice()

    def engine(self) -> str:
        return SERVER if self.server_button.isChecked() else LOCAL

    def _follow_choice(self, *_args) -> None:
        on_server = self.server_button.isChecked()
        for widget in (self.url_edit, self.token_edit, self.test_button):
            widget.setEnabled(on_server)

    def test_connection(self) -> None:
        """Ask the server for its replicas; the answer appears beside the button."""
        url, token = self.url_edit.text().strip(), self.token_edit.text().strip()
        if not url:
            self._show_answer(False, "Enter the server's address first.")
            return
        self.test_button.setEnabled(False)
        self.result_label.setStyleSheet("")
        self.result_label.setText("Connecting…")
        answer = self._answer

        def ask() -> None:
            try:
                info = check_server(url, token)
            except T2IAError as error:
                answer.arrived.emit(False, str(error))
            except Exception as error:  # any surprise is shown, never raised in a thread
                answer.arrived.emit(False, f"{type(error).__name__}: {error}")
            else:
                answer.arrived.emit(True, f"Connected: {info.summary()}.")

        threading.Thread(target=ask, name="t2ia-test-server", daemon=True).start()

    def _show_answer(self, reached: bool, text: str) -> None:
        self.test_button.setEnabled(self.server_button.isChecked())
        self.result_label.setStyleSheet("" if reached else ERROR_STYLE)
        self.result_label.setText(text)
        self.result_label.setToolTip(text)

    def check(self) -> bool:
        """On OK: a server needs an address, and the token is kept (or refused with why)."""
        if self.engine() == SERVER and not self.url_edit.text().strip():
            self._show_answer(False, "Enter the server's address, or choose On this computer.")
            return False
        try:
            if self.token_edit.text().strip() != saved_token():
                save_token(self.token_edit.text())
        except (T2IAError, OSError) as error:
            self._show_answer(False, f"Token not kept: {error}")
            return False
        return True
