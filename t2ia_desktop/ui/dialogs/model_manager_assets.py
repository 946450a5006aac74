"""The model manager's Adapters, ControlNets and Detector weights tabs.

Adapters: each registered condition's T2I-Adapter for each family (hub id, used by, installed in
the models folder or the Hugging Face cache, size), downloaded into the models folder where the
engine finds it offline; adapter folders that plugins ship are listed as theirs ("installed
(plugin: NAME)"), with Open folder instead of Download and Delete. Detector weights: each
``lllyasviel/Annotators`` file the registered conditions' detectors read (present or missing,
where, size), downloaded into the annotators folder. ControlNets: as adapters, for each
condition's ControlNet and each family's ControlNet Union model. All download through the
app's download service, with progress and Cancel, and can be deleted; offline mode disables
downloading and says why.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.generation.checkpoints import FAMILY_NAMES, download_folder, size_on_disk
from t2ia_desktop.runtime.asset_catalog import (
    AdapterAsset,
    PluginAdapterAsset,
    WeightAsset,
    adapter_assets,
    controlnet_assets,
    delete_adapter,
    plugin_adapter_assets,
    weight_assets,
    weight_deletable,
)
from t2ia_desktop.runtime.downloads import WeightDownloads
from t2ia_desktop.runtime.system_info import human_bytes
from t2ia_desktop.ui.common.download_dialog import DownloadDialog
from t2ia_desktop.ui.common.styles import ERROR_STYLE
from t2ia_desktop.ui.common.widgets import read_only_table

OFFLINE_NOTE = ("Offline mode is on (HF_HUB_OFFLINE): downloads are off. Turn it off and "
                "restart, or copy the files into the folders shown.")


def ask_delete(parent: QWidget, what: str, where: str) -> bool:
    """Ask before deleting files (it cannot be undone)."""
    answer = QMessageBox.question(parent, "Delete files", f"Delete {what}?\n\n{where}\n\n"
                                  "This cannot be undone; a later download brings it back.")
    return answer == QMessageBox.StandardButton.Yes


class AssetKind(ABC):
    """What one tab lists and how its files are fetched and removed (the tab is the same)."""

    columns: tuple[str, ...] = ()
    noun = "file"

    def __init__(self, registry: ConditionRegistry, downloads: WeightDownloads) -> None:
        self.registry = registry
        self.downloads = downloads

    @abstractmethod
    def intro(self) -> str:
        """The sentence above the table."""

    @abstractmethod
    def entries(self) -> list:
        """The rows, each with a ``location()``: where its files are, or None."""

    @abstractmethod
    def key(self, entry) -> str:
        """What the download service and the artist call ``entry``."""

    @abstractmethod
    def cells(self, entry, location: Path | None, size: int) -> Sequence[str]:
        """The row's texts, one per column."""

    @abstractmethod
    def target(self, entry) -> str:
        """Where a download of ``entry`` goes."""

    @abstractmethod
    def remove_files(self, entry, location: Path) -> None:
        """Delete ``entry``'s files at ``location``."""

    def can_delete(self, entry, location: Path | None) -> bool:
        return location is not None

    def can_download(self, entry, location: Path | None) -> bool:
        return location is None

    def owner_note(self, entry) -> str:
        """Why the app leaves ``entry``'s files alone (they belong to something else), or ""."""
        return ""


class AssetTab(QWidget):
    """A table of files with Download and Delete, the disk they take, and messages."""

    changed = Signal()

    def __init__(self, kind: AssetKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        registry, downloads = kind.registry, kind.downloads
        self.registry = registry
        self.downloads = downloads
        self.rows: list = []
        self.locations: list[Path | None] = []
        self.download_dialog: DownloadDialog | None = None
        self.downloading: str | None = None
        """The key of this tab's download in progress."""
        self.confirm_delete: Callable[[str, str], bool] = (
            lambda what, where: ask_delete(self, what, where))
        """Asks before deleting (what, where); tests replace it."""
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.intro.setText(kind.intro())
        self.table = read_only_table(kind.columns)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(lambda: self.download(self.selected()))
        self.delete_button = QPushButton("Delete files")
        self.delete_button.clicked.connect(lambda: self.delete(self.selected()))
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(lambda: self.open_folder(self.selected()))
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        """Shows a folder in the file manager; tests replace it."""
        self.total_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(ERROR_STYLE)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.total_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        self.downloads.downloaded.connect(lambda _files: self.refresh())
        self.refresh()

    # -- the table ----------------------------------------------------------------------------
    def refresh(self) -> None:
        chosen = self.selected()
        self.rows = self.kind.entries()
        self.locations = [entry.location() for entry in self.rows]
        self.table.setRowCount(len(self.rows))
        total = 0
        for row, (entry, location) in enumerate(zip(self.rows, self.locations, strict=True)):
            size = size_on_disk(location) if location is not None else 0
            total += size
            texts = list(self.kind.cells(entry, location, size))
            if self.kind.key(entry) == self.downloading:
                texts[self.kind.columns.index("State")] = "downloading"
            note = self.kind.owner_note(entry)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{text}\n{note}" if note else text)
                self.table.setItem(row, column, item)
        self.total_label.setText(f"On disk: {human_bytes(total)}")
        if chosen is not None:
            self.select(self.kind.key(chosen))
        self._update_buttons()

    def row_of(self, key: str) -> int:
        return next((i for i, e in enumerate(self.rows) if self.kind.key(e) == key), -1)

    def select(self, key: str) -> None:
        row = self.row_of(key)
        if row >= 0:
            self.table.selectRow(row)

    def selected(self):
        model = self.table.selectionModel()
        rows = model.selectedRows() if model is not None else []
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def state_of(self, key: str) -> str:
        return self.table.item(self.row_of(key), self.kind.columns.index("State")).text()

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _update_buttons(self) -> None:
        entry = self.selected()
        location = self.locations[self.rows.index(entry)] if entry is not None else None
        offline = self.downloads.offline()
        busy = self.downloads.is_running()
        note = self.kind.owner_note(entry) if entry is not None else ""
        self.download_button.setEnabled(entry is not None and not offline and not busy
                                        and self.kind.can_download(entry, location))
        if note:
            tip = note
        elif offline:
            tip = OFFLINE_NOTE
        elif busy:
            tip = "A download is running: wait for it or cancel it first"
        else:
            tip = f"Download the selected {self.kind.noun}, with progress and Cancel"
        self.download_button.setToolTip(tip)
        self.delete_button.setEnabled(entry is not None and self.kind.can_delete(entry, location))
        self.delete_button.setToolTip(note or f"Delete the selected {self.kind.noun}'s files from "
                                      "this disk (asks first)")
        self.open_button.setEnabled(location is not None)
        self.open_button.setToolTip(f"Show where the selected {self.kind.noun}'s files are, in "
                                    "the file manager")

    # -- actions ------------------------------------------------------------------------------
    def download(self, entry) -> DownloadDialog | None:
        if entry is None:
            return None
        key = self.kind.key(entry)
        try:
            task = self.downloads.start([key])
        except T2IAError as error:
            self.show_message(str(error))
            return None
        self.downloading = key
        dialog = DownloadDialog(task, f"Downloading {key}", self.kind.target(entry), self)
        task.succeeded.connect(lambda _paths: self._over(f"Downloaded {key}.", error=False))
        task.failed.connect(lambda text: self._over(f"{key}: {text}"))
        task.cancelled.connect(lambda: self._over(
            f"Download of {key} cancelled; complete files are kept and the next Download "
            "resumes."))
        self.download_dialog = dialog
        dialog.open()
        self.refresh()
        return dialog

    def _over(self, text: str, error: bool = True) -> None:
        self.downloading = None
        self.refresh()
        self.show_message(text if error else "")
        if not error:
            self.total_label.setToolTip(text)
        self.changed.emit()

    def open_folder(self, entry) -> bool:
        """Show the folder holding ``entry``'s files (the folder itself for a folder)."""
        location = self.locations[self.rows.index(entry)] if entry is not None else None
        if location is None:
            return False
        folder = location if location.is_dir() else location.parent
        self.open_url(QUrl.fromLocalFile(str(folder)))
        return True

    def delete(self, entry) -> bool:
        if entry is None:
            return False
        location = self.locations[self.rows.index(entry)]
        if location is None or not self.kind.can_delete(entry, location):
            return False
        if not self.confirm_delete(self.kind.key(entry), str(location)):
            return False
        try:
            self.kind.remove_files(entry, location)
        except OSError as error:
            self.show_message(f"Could not delete {location}: {error.strerror or error}")
            return False
        self.show_message("")
        self.refresh()
        self.changed.emit()
        return True


class Adapters(AssetKind):
    """Each condition's adapter for each family."""

    columns = ("Adapter", "Family", "Used by", "State", "Size", "Location")
    noun = "adapter"

    def intro(self) -> str:
        return ("The T2I-Adapters the conditions use, per model family (plugins' included). "
                "Downloads go to the models folder, where Generate finds them without the "
                "network; the Hugging Face cache counts too. Adapter folders a plugin ships "
                "belong to that plugin.")

    def entries(self) -> list[AdapterAsset | PluginAdapterAsset]:
        return [*adapter_assets(self.registry), *plugin_adapter_assets(self.registry)]

    def key(self, entry: AdapterAsset | PluginAdapterAsset) -> str:
        return str(entry.folder) if isinstance(entry, PluginAdapterAsset) else entry.repo

    def cells(self, entry: AdapterAsset | PluginAdapterAsset, location: Path | None,
              size: int) -> Sequence[str]:
        family = FAMILY_NAMES.get(entry.family, entry.family)
        used_by = ", ".join(entry.conditions)
        if isinstance(entry, PluginAdapterAsset):
            state = "installed" if location else "missing"
            return (entry.folder.name, family, used_by, f"{state} (plugin: {entry.plugin})",
                    human_bytes(size) if location else "—", str(entry.folder))
        return (entry.repo, family, used_by, "installed" if location else "missing",
                human_bytes(size) if location else "—",
                str(location) if location else f"(would go to {download_folder(entry.repo)})")

    def owner_note(self, entry: AdapterAsset | PluginAdapterAsset) -> str:
        if not isinstance(entry, PluginAdapterAsset):
            return ""
        return (f"This adapter belongs to the plugin {entry.plugin}: it comes and goes with the "
                "plugin (Help → Plugins… to turn it off, or remove the plugin's folder).")

    def can_download(self, entry: AdapterAsset | PluginAdapterAsset,
                     location: Path | None) -> bool:
        return not isinstance(entry, PluginAdapterAsset) and location is None

    def can_delete(self, entry: AdapterAsset | PluginAdapterAsset,
                   location: Path | None) -> bool:
        return not isinstance(entry, PluginAdapterAsset) and location is not None

    def target(self, entry: AdapterAsset | PluginAdapterAsset) -> str:
        if isinstance(entry, PluginAdapterAsset):
            return str(entry.folder)
        return str(download_folder(entry.repo))

    def remove_files(self, entry: AdapterAsset | PluginAdapterAsset, location: Path) -> None:
        if isinstance(entry, PluginAdapterAsset):  # never reached: can_delete says no
            raise OSError(f"{location} belongs to the plugin {entry.plugin}")
        delete_adapter(entry.repo)


class ControlNets(Adapters):
    """Each condition's ControlNet for each family, and each family's ControlNet Union."""

    columns = ("ControlNet", "Family", "Used by", "State", "Size", "Location")
    noun = "ControlNet"

    def intro(self) -> str:
        return ("The ControlNets a condition layer can be guided by instead of its T2I-Adapter "
                "(its Guide in the Condition dock), per model family, and the ControlNet Union "
                "model that reads several conditions. A ControlNet runs at every step: larger "
                "and slower than an adapter. Downloads go to the models folder, where Generate "
                "finds them without the network; the Hugging Face cache counts too.")

    def entries(self) -> list[AdapterAsset]:
        return controlnet_assets(self.registry)

    def cells(self, entry: AdapterAsset, location: Path | None, size: int) -> Sequence[str]:
        cells = list(super().cells(entry, location, size))
        if location is None:
            cells[4] = f"≈ {human_bytes(CONTROLNET_SIZES[entry.family])}"
        return cells


CONTROLNET_SIZES = {"sdxl": 2_500_000_000, "sd15": 723_000_000}
"""What a ControlNet's fp16 weights take, per family (SDXL ≈ 1251 M parameters, SD1.5
≈ 361 M): shown before it is downloaded."""


class DetectorWeights(AssetKind):
    """Each detector weight file the registered conditions need."""

    columns = ("File", "Used by", "State", "Size", "Location")
    noun = "weight file"

    def intro(self) -> str:
        return ("Weights of the detectors that turn pictures into control images, from "
                f"lllyasviel/Annotators. Downloads go to {self.downloads.folder()}.")

    def entries(self) -> list[WeightAsset]:
        return weight_assets(self.registry)

    def key(self, entry: WeightAsset) -> str:
        return entry.file

    def cells(self, entry: WeightAsset, location: Path | None, size: int) -> Sequence[str]:
        if location is not None:
            size_text = human_bytes(size)
        elif entry.approximate_size:
            size_text = f"≈ {human_bytes(entry.approximate_size)}"
        else:
            size_text = "—"
        return (entry.file, ", ".join(entry.conditions), "present" if location else "missing",
                size_text, str(location) if location else f"(would go to {self.target(entry)})")

    def target(self, entry: WeightAsset) -> str:
        return self.downloads.folder()

    def can_delete(self, entry: WeightAsset, location: Path | None) -> bool:
        return location is not None and weight_deletable(location)

    def remove_files(self, entry: WeightAsset, location: Path) -> None:
        location.unlink()


class AdaptersTab(AssetTab):
    """The Adapters tab."""

    def __init__(self, registry: ConditionRegistry, downloads: WeightDownloads,
                 parent: QWidget | None = None) -> None:
        super().__init__(Adapters(registry, downloads), parent)


class ControlNetsTab(AssetTab):
    """The ControlNets tab."""

    def __init__(self, registry: ConditionRegistry, downloads: WeightDownloads,
                 parent: QWidget | None = None) -> None:
        super().__init__(ControlNets(registry, downloads), parent)


class WeightsTab(AssetTab):
    """The Detector weights tab."""

    def __init__(self, registry: ConditionRegistry, downloads: WeightDownloads,
                 parent: QWidget | None = None) -> None:
        super().__init__(DetectorWeights(registry, downloads), parent)
