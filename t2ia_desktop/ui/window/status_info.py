"""The status bar's right end: the device the engine runs on, the model, and memory in use.

The UI never imports torch: the worker reports its device once the engine is built
(``engine_ready``), and a timer asks :func:`~t2ia_desktop.runtime.system_info.memory_in_use`
every few seconds while the window shows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, SignalInstance
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.runtime.system_info import NOT_LOADED, memory_in_use

MEMORY_INTERVAL_MS = 3000


class StatusInfo(QObject):
    """Device, model and memory labels at the right of ``status_bar``, kept up to date: the
    device from ``engine_ready(device)``, the model from ``settings``, the memory every few
    seconds while ``shown_with`` (the window) shows."""

    def __init__(self, settings: GenerationSettings, engine_ready: SignalInstance,
                 status_bar: QStatusBar, shown_with: QWidget) -> None:
        super().__init__(shown_with)
        self.settings = settings
        self.shown_with = shown_with
        self.device_label = QLabel(NOT_LOADED)
        self.device_label.setToolTip("Where the pictures are computed (GPU or CPU)")
        self.model_label = QLabel()
        self.model_label.setToolTip("The model Generate uses (choose it in the Generate panel)")
        self.memory_label = QLabel()
        self.memory_label.setToolTip("Memory this app uses: RAM (resident) and, on a CUDA GPU, "
                                     "what torch has allocated")
        for label in (self.device_label, self.model_label, self.memory_label):
            status_bar.addPermanentWidget(label)
        engine_ready.connect(self.set_device)
        settings.events.model.connect(self.update_model)
        self.timer = QTimer(self)
        self.timer.setInterval(MEMORY_INTERVAL_MS)
        self.timer.timeout.connect(self.update_memory)
        shown_with.installEventFilter(self)
        self.update_model()
        self.update_memory()
        if shown_with.isVisible():
            self.timer.start()

    def set_device(self, device: str) -> None:
        """Show where the engine runs (the worker tells once it has built it)."""
        self.device_label.setText(device)

    def update_model(self, *_args: object) -> None:
        """Show the model Generate uses now, by its name in the models list."""
        settings = self.settings
        entry = settings.entry(settings.model)
        self.model_label.setText(f"Model: {entry[0] if entry else settings.model}")

    def update_memory(self) -> None:
        """Show the memory the app uses now."""
        self.memory_label.setText(memory_in_use().text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The timer only runs while the window shows: no timer outlives a closed window.
        if watched is self.shown_with:
            if event.type() == QEvent.Type.Show:
                self.update_memory()
                self.timer.start()
            elif event.type() in (QEvent.Type.Hide, QEvent.Type.Close):
                self.timer.stop()
        return False
