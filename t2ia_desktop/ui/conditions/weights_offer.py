"""The Condition dock's offer to download a detector's missing weights.

When the selected condition layer's detector failed for want of weight files, the dock shows
"Download weights (files, size)…" under the layer's red error; it opens a
:class:`DownloadDialog` on a download thread, and once the files are here every condition
layer that was waiting for them detects again. Offline, the button is disabled and a note says
where to put the files by hand instead.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QWidget

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.runtime.downloads import WeightDownloads
from t2ia_desktop.ui.common.download_dialog import DownloadDialog
from t2ia_desktop.ui.common.styles import NOTE_STYLE
from t2ia_desktop.ui.conditions.panel import ConditionPanel


def size_text(sizes: dict[str, int | None]) -> str:
    """"≈ 34 MB" for the files' total, "" when a size is not known."""
    known = list(sizes.values())
    if not known or None in known:
        return ""
    total = sum(known)  # type: ignore[arg-type]
    if total >= 1e9:
        return f"≈ {total / 1e9:.1f} GB"
    return f"≈ {max(1, round(total / 1e6))} MB"


class WeightsOffer(QObject):
    """Adds the Download weights button to ``panel`` and runs its downloads."""

    def __init__(self, panel: ConditionPanel, downloads: WeightDownloads,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.downloads = downloads
        self.updater = panel.updater
        self.dialog: DownloadDialog | None = None
        self.files: tuple[str, ...] = ()
        self.button = QPushButton("Download weights…")
        self.button.setObjectName("download_weights")
        self.button.setToolTip("Download the weight files this layer's detector needs")
        self.button.clicked.connect(self.download)
        self.note = QLabel()
        self.note.setObjectName("download_note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.MinimumExpanding)
        self.button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        box = panel.editor_box.layout()
        at = box.indexOf(panel.status_label) + 1
        box.insertWidget(at, self.button)
        box.insertWidget(at + 1, self.note)
        self.button.hide()
        self.note.hide()
        panel.status_shown.connect(self.refresh)
        self.updater.scheduler.weights_missing.connect(self._on_weights_missing)
        downloads.downloaded.connect(self._on_downloaded)

    # -- showing the offer --------------------------------------------------------------------
    def refresh(self, layer: Layer | None = None) -> None:
        """Offer the files the shown layer's detector lacks, if any and if still missing."""
        layer = layer if layer is not None else self.panel.layer
        files = self._needed(layer)
        sizes = self.downloads.missing(files) if files else {}
        self.files = tuple(sizes)
        if not self.files:
            self.button.hide()
            self.note.hide()
            return
        size = size_text(sizes)
        names = ", ".join(self.files)
        self.button.setText(f"Download weights ({size})…" if size else "Download weights…")
        folder = self.downloads.folder()
        if self.downloads.offline():
            self.button.setEnabled(False)
            self.button.setToolTip(f"Offline mode is on (HF_HUB_OFFLINE): {names} cannot be "
                                   "downloaded now")
            if "offline" in (layer.condition.error if layer and layer.condition else ""):
                self.note.hide()  # the layer's own message already says where to put them
            else:
                self.note.setText(
                    f"This computer cannot reach the Hugging Face hub (offline mode is on). "
                    f"Download {names} from {self.downloads.source_url()} on another computer, "
                    f"put {'it' if len(self.files) == 1 else 'them'} into {folder}, then press "
                    "Re-detect.")
                self.note.show()
        else:
            running = self.downloads.is_running()
            self.button.setEnabled(not running)
            self.button.setToolTip(
                f"Download {names} from {self.downloads.source_url()} into {folder}; the layer "
                "detects again when they are here" + (" (a download is running)" if running
                                                      else "")
            )
            self.note.hide()
        self.button.show()

    def _needed(self, layer: Layer | None) -> tuple[str, ...]:
        if layer is None or layer.condition is None or not layer.condition.error:
            return ()
        return self.updater.scheduler.missing_weights.get(layer.id, ())

    def _on_weights_missing(self, layer_id: str, _files: object) -> None:
        if self.panel.layer is not None and self.panel.layer.id == layer_id:
            self.refresh()

    # -- downloading --------------------------------------------------------------------------
    def download(self) -> DownloadDialog | None:
        """Start downloading the offered files and show their progress (window-modal)."""
        if not self.files or self.downloads.is_running():
            return None
        task = self.downloads.start(self.files)
        parent: QWidget = self.panel.window()
        self.dialog = DownloadDialog(task, "Download detector weights", self.downloads.folder(),
                                     parent)
        self.dialog.finished.connect(lambda _result: self.refresh())
        self.dialog.open()
        self.refresh()
        return self.dialog

    def _on_downloaded(self, _files: tuple[str, ...]) -> None:
        """Detect again every condition layer whose detector now has all its files."""
        scheduler = self.updater.scheduler
        for layer in list(self.panel.document.condition_layers()):
            needed = scheduler.missing_weights.get(layer.id)
            settings = layer.condition
            if not needed or settings is None or settings.detached:
                continue
            if not self.downloads.missing(needed):
                self.updater.redetect(layer)
        self.refresh()

    def shutdown(self) -> None:
        """Cancel a running download and wait for it (the window is closing)."""
        if self.dialog is not None:
            self.dialog.close()
        self.downloads.shutdown()
