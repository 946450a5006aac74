"""Edit → Settings… (Ctrl+,): the app's folders, autosave, step previews, live opacity, memory.

Changes apply on OK and are written to the settings file; Cancel discards them. A folder that
does not exist or cannot be written is refused with a message next to its field, and the
dialog stays open.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.generation.jobs import JobQueue
from t2ia_desktop.core.paths import data_dir, history_dir, plugins_dir
from t2ia_desktop.core.settings import (
    AUTOSAVE_RANGE,
    LIVE_STEPS_RANGE,
    MEMORY_POLICIES,
    TAESD_REPOS,
    TAESD_SUBFOLDERS,
    Settings,
    SettingsStore,
    default_taesd_folder,
    folder_problem,
    taesd_folder_for,
)
from t2ia_desktop.ui.common.styles import ERROR_STYLE
from t2ia_desktop.ui.common.widgets import add_item_with_tooltip
from t2ia_desktop.ui.dialogs.engine_settings import EngineGroup

PREVIEW_LABELS = {"approximate": "Approximate colours (instant)",
                  "taesd": "TAESD (sharper; needs its files)"}
MEMORY_LABELS = {
    "auto": ("Auto", "Pick from the GPU's memory: fast when it fits, careful when it does not"),
    "speed": ("Speed", "Keep every model on the GPU: fastest, needs the most memory"),
    "low-vram": ("Low VRAM", ("Move models to the GPU only while they run and decode in "
                              "tiles: slower, for 6–8 GB cards")),
}
NOTE_KEY = "t2ia_preview_note"
"""Where a step preview says why TAESD was not used (engine/taesd.py writes it)."""


def open_folder(path: Path) -> bool:
    """Show ``path`` in the file manager (made first if it is missing)."""
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class FolderField(QWidget):
    """A folder setting: a text field, Browse…, and a red line saying why it was refused."""

    def __init__(self, text: str, placeholder: str, tip: str, writable: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.writable = writable
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setToolTip(tip)
        self.edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip("Choose the folder")
        self.browse_button.clicked.connect(self.browse)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.edit.textChanged.connect(lambda _text: self.error_label.hide())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self.choose: Callable[[], str] = lambda: QFileDialog.getExistingDirectory(
            self, "Choose a folder", self.edit.text() or self.edit.placeholderText())
        """Asks for a folder ("" when cancelled); tests replace it."""

    def browse(self) -> None:
        chosen = self.choose()
        if chosen:
            self.edit.setText(chosen)

    def text(self) -> str:
        return self.edit.text().strip()

    def check(self) -> bool:
        """Show why the folder cannot be used; True when it can."""
        problem = folder_problem(self.text(), self.writable)
        self.error_label.setText(problem)
        self.error_label.setVisible(bool(problem))
        return not problem


class SettingsDialog(QDialog):
    """Shows ``settings`` (the file's) and, on OK, holds the edited ones in :attr:`result`."""

    def __init__(self, settings: Settings, overridden: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.original = settings
        self.result_settings: Settings | None = None
        self.open_buttons: dict[str, QPushButton] = {}

        folders = QGroupBox("Folders")
        folder_form = QFormLayout(folders)
        for key, label, path, tip in (
            ("data", "User data", data_dir(), ("Everything the app keeps for you: history, "
                                               "plugins, recovery files, logs, settings")),
            ("history", "History", history_dir(),
             "Every finished image, written the moment it exists"),
            ("plugins", "Plugins", plugins_dir(),
             "Drop a condition plugin's folder here, then Help → Plugins… → Reload"),
        ):
            folder_form.addRow(f"{label}:", self._folder_row(key, path, tip))
        self.annotators = FolderField(
            settings.annotators_folder, str(data_dir() / "annotators"),
            "Detector weights (lineart, depth, pose…: files of lllyasviel/Annotators under "
            "their own names). Empty: the app's own folder, shown greyed.", writable=True)
        folder_form.addRow("Detector weights:", self._with_note(
            self.annotators, overridden.get("annotators_folder")))

        general = QGroupBox("Working")
        form = QFormLayout(general)
        self.autosave_spin = QDoubleSpinBox()
        self.autosave_spin.setRange(*AUTOSAVE_RANGE)
        self.autosave_spin.setDecimals(0)
        self.autosave_spin.setSuffix(" s")
        self.autosave_spin.setValue(settings.autosave_seconds)
        self.autosave_spin.setToolTip("Unsaved work is written for crash recovery at most this "
                                      "long after it changes")
        form.addRow("Autosave every:", self._with_note(
            self.autosave_spin, overridden.get("autosave_seconds")))

        self.preview_combo = QComboBox()
        for key, text in PREVIEW_LABELS.items():
            self.preview_combo.addItem(text, key)
        self.preview_combo.setCurrentIndex(self.preview_combo.findData(
            settings.step_preview_decoder))
        self.preview_combo.setToolTip(
            "How the queue draws the picture at each step: a colour approximation of the "
            "latents, or the tiny TAESD / TAESDXL decoder when its files are in the TAESD "
            "folder (fast on a GPU; on a CPU a decode takes seconds, so the steps in between "
            "keep the approximation)")
        form.addRow("Step previews:", self.preview_combo)
        self.taesd = FolderField(
            settings.taesd_folder, str(default_taesd_folder()),
            "Holds taesd/ (madebyollin/taesd, for SD1.5) and taesdxl/ (madebyollin/taesdxl, "
            "for SDXL), each with config.json and diffusion_pytorch_model.safetensors. "
            "Nothing is downloaded.", writable=False)
        self.taesd_found = QLabel()
        self.taesd_found.setWordWrap(True)
        self.taesd.edit.textChanged.connect(self._show_taesd_found)
        self.preview_combo.currentIndexChanged.connect(self._show_taesd_found)
        form.addRow("TAESD folder:", self._with_note(self.taesd, None, self.taesd_found))

        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(10, 100)
        self.opacity_slider.setValue(round(settings.live_opacity * 100))
        self.opacity_label = QLabel()
        self.opacity_slider.valueChanged.connect(
            lambda value: self.opacity_label.setText(f"{value} %"))
        self.opacity_label.setText(f"{self.opacity_slider.value()} %")
        self.opacity_slider.setToolTip("How strongly the live picture covers the canvas: lower "
                                       "lets your strokes show through")
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(self.opacity_slider, 1)
        opacity_row.addWidget(self.opacity_label)
        form.addRow("Live preview opacity:", opacity_row)
        self.live_steps_spin = QSpinBox()
        self.live_steps_spin.setRange(*LIVE_STEPS_RANGE)
        self.live_steps_spin.setValue(settings.live_steps)
        self.live_steps_spin.setToolTip("Steps of a live picture (also in the Live dock); a "
                                        "speed preset or LCM/TCD brings its own")
        form.addRow("Live steps:", self.live_steps_spin)

        self.memory_combo = QComboBox()
        for key in MEMORY_POLICIES:
            text, tip = MEMORY_LABELS[key]
            add_item_with_tooltip(self.memory_combo, text, key, tip)
        self.memory_combo.setCurrentIndex(self.memory_combo.findData(settings.memory_policy))
        self.memory_combo.setToolTip("How models use the GPU's memory (applies to the next "
                                     "model loaded)")
        form.addRow("Memory:", self.memory_combo)
        self.engine_group = EngineGroup(settings)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(folders)
        layout.addWidget(general)
        layout.addWidget(self.engine_group)
        layout.addWidget(self.buttons)
        self._show_taesd_found()
        self.resize(640, self.sizeHint().height())

    def _folder_row(self, key: str, path: Path, tip: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(str(path))
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setToolTip(tip)
        button = QPushButton("Open folder")
        button.setToolTip(f"Show {path} in the file manager")
        button.clicked.connect(lambda: open_folder(path))
        self.open_buttons[key] = button
        layout.addWidget(label, 1)
        layout.addWidget(button)
        return row

    @staticmethod
    def _with_note(field: QWidget, variable: str | None, extra: QWidget | None = None) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field)
        if extra is not None:
            layout.addWidget(extra)
        if variable:
            note = QLabel(f"{variable} is set: it wins over this setting in this run.")
            note.setWordWrap(True)
            layout.addWidget(note)
        return box

    def _show_taesd_found(self, *_args) -> None:
        settings = replace(self.original, taesd_folder=self.taesd.text())
        parts = []
        for family, name in TAESD_SUBFOLDERS.items():
            found = taesd_folder_for(settings, family) is not None
            parts.append(f"{name}/ ({family.upper()}): {'found' if found else 'missing'}")
        text = "; ".join(parts)
        if self.preview_combo.currentData() == "taesd":
            text += (f". Missing ones use the approximate colours; get them from "
                     f"{' and '.join(TAESD_REPOS.values())}.")
        self.taesd_found.setText(text)

    def edited(self) -> Settings:
        """The settings as the fields show them now."""
        return replace(
            self.original,
            annotators_folder=self.annotators.text(),
            autosave_seconds=float(self.autosave_spin.value()),
            step_preview_decoder=self.preview_combo.currentData(),
            taesd_folder=self.taesd.text(),
            live_opacity=self.opacity_slider.value() / 100,
            live_steps=self.live_steps_spin.value(),
            memory_policy=self.memory_combo.currentData(),
            engine=self.engine_group.engine(),
            server_url=self.engine_group.url_edit.text().strip(),
        )

    def accept(self) -> None:
        """OK: refuse a bad folder (with its message), else keep the edited settings."""
        good = self.annotators.check()
        good = self.taesd.check() and good
        good = self.engine_group.check() and good
        if not good:
            return
        self.result_settings = self.edited()
        super().accept()


class SettingsController(QObject):
    """Edit → Settings…: applies the settings to the autosave and live mode, the environment of
    the weight look-ups and (through the store) the engine's step previews."""

    changed = Signal(object)  # the settings now in effect (Settings), after OK

    def __init__(self, store: SettingsStore, jobs: JobQueue, edit_menu: QMenu,
                 say: Callable[[str], None], parent: QWidget, *,
                 set_autosave_interval: Callable[[float], None] | None = None,
                 set_live_opacity: Callable[[float], None] | None = None,
                 set_live_steps: Callable[[int], None] | None = None) -> None:
        """Settings… goes at the end of ``edit_menu`` (Ctrl+, works anywhere in ``parent``,
        which the dialog opens over); ``say`` shows the store's note, save errors and the
        reason a step preview of ``jobs`` did not use TAESD. The settings in effect go to
        ``set_autosave_interval`` (seconds), ``set_live_opacity`` (0–1) and ``set_live_steps``
        now and after each OK."""
        super().__init__(parent)
        self.store = store
        self.parent_widget = parent
        self.say = say
        self.set_autosave_interval = set_autosave_interval
        self.set_live_opacity = set_live_opacity
        self.set_live_steps = set_live_steps
        self.dialog: SettingsDialog | None = None
        self._notes_shown: set[str] = set()
        self.action = QAction("Settings…", parent)
        self.action.setShortcut(QKeySequence("Ctrl+,"))
        self.action.setMenuRole(QAction.MenuRole.PreferencesRole)
        tip = "Folders, autosave, step previews, live preview opacity, memory (Ctrl+,)"
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(self.show_dialog)
        parent.addAction(self.action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.action)
        jobs.job_changed.connect(self._on_job_changed)
        self.apply(store.effective())
        if store.note:
            say(store.note)

    def show_dialog(self) -> SettingsDialog:
        """Open the dialog (not blocking); OK applies its settings."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return self.dialog
        dialog = SettingsDialog(self.store.settings, self.store.overridden(),
                                self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_accepted(dialog))
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_accepted(self, dialog: SettingsDialog) -> None:
        chosen = dialog.result_settings
        if chosen is None or chosen == self.store.settings:
            return
        try:
            self.store.save(chosen)
        except (OSError, ValueError) as error:
            self.say(f"Settings not saved: {error}")
            return
        self.store.apply_environment()
        self.apply(self.store.effective())
        self.say("Settings saved.")

    def apply(self, settings: Settings) -> None:
        """Bring the autosave and live mode in line with ``settings``."""
        if self.set_autosave_interval is not None:
            self.set_autosave_interval(settings.autosave_seconds)
        if self.set_live_opacity is not None:
            self.set_live_opacity(settings.live_opacity)
        if self.set_live_steps is not None:
            self.set_live_steps(settings.live_steps)
        self._notes_shown.clear()  # a changed TAESD setting may bring a new reason
        self.changed.emit(settings)

    def keep_live_steps(self, steps: int) -> None:
        """The Live dock's steps changed: keep them for the next launch (no dialog)."""
        if steps == self.store.settings.live_steps:
            return
        try:
            self.store.save(replace(self.store.settings, live_steps=steps))
        except (OSError, ValueError) as error:
            self.say(f"Live steps not saved: {error}")

    def _on_job_changed(self, job) -> None:
        preview = getattr(job, "preview", None)
        note = preview.info.get(NOTE_KEY) if preview is not None else None
        if note and note not in self._notes_shown:
            self._notes_shown.add(note)
            self.say(note)
