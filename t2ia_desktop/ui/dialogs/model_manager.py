"""Models → Manage models…: the models the Generate panel offers, their state and size; adding
a local folder or .safetensors file, downloading from the hub with progress and Cancel,
removing; and Models → Memory (auto / speed / low VRAM).

The list is :class:`~t2ia_desktop.core.generation.checkpoints.ModelList` (``models.json``);
every change goes to the Generate panel's model combo at once. Downloads run on the download
service's thread (runtime/model_downloads.py) and show in the download dialog.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMenuBar,
    QMessageBox,
    QPushButton,
    QStatusBar,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.conditions.registry import ConditionRegistry
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.generation.checkpoints import (
    DOWNLOAD_SIZES,
    FAMILY_NAMES,
    KnownModel,
    ModelList,
    download_folder,
    downloaded,
    models_dir,
    size_on_disk,
)
from t2ia_desktop.core.generation.memory_policy import MEMORY_SETTINGS
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.settings import SettingsStore
from t2ia_desktop.runtime.asset_catalog import adapter_downloads, controlnet_downloads
from t2ia_desktop.runtime.downloads import WeightDownloads
from t2ia_desktop.runtime.model_downloads import hub_offline, model_downloads
from t2ia_desktop.runtime.system_info import human_bytes
from t2ia_desktop.ui.common.download_dialog import DownloadDialog
from t2ia_desktop.ui.common.styles import ERROR_STYLE
from t2ia_desktop.ui.common.widgets import read_only_table
from t2ia_desktop.ui.dialogs.model_manager_assets import (
    AdaptersTab,
    ControlNetsTab,
    WeightsTab,
)

COLUMNS = ("Model", "Family", "Kind", "State", "Size", "Location")
KIND_NAMES = {"demo": "built in", "hub": "hub", "folder": "folder", "file": "single file"}



def download_words(model: KnownModel) -> str:
    """The size column of a model that is not here: what it would download, if known."""
    size = DOWNLOAD_SIZES.get(model.reference)
    return f"≈ {human_bytes(size)} to download" if size else "—"

class ModelManagerDialog(QDialog):
    """The table of models and the Add / Download / Remove buttons; the Adapters and Detector
    weights tabs list what ``registry``'s conditions need."""

    def __init__(self, controller: ModelsController, registry: ConditionRegistry,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Models")
        self.resize(900, 420)
        intro = QLabel("The models Generate can paint with. Hub models download into "
                       f"{models_dir()}; local folders and .safetensors files stay where they "
                       "are.")
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = read_only_table(COLUMNS)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.total_label = QLabel()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(ERROR_STYLE)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        self.add_button = QPushButton("Add local model…")
        self.add_button.setToolTip("Add a diffusers model folder or a .safetensors checkpoint "
                                   "(SDXL or SD1.5; pickle .ckpt files are refused)")
        self.add_button.clicked.connect(controller.add_local)
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download the selected hub model, with progress and "
                                        "Cancel; an interrupted download resumes")
        self.download_button.clicked.connect(lambda: controller.download(self.selected()))
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected model off the list (Delete); "
                                      "downloaded files can be deleted too, after asking")
        self.remove_button.setShortcut(Qt.Key.Key_Delete)
        self.remove_button.clicked.connect(lambda: controller.remove(self.selected()))
        buttons = QHBoxLayout()
        for button in (self.add_button, self.download_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.total_label)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        base = QWidget()
        page = QVBoxLayout(base)
        page.addWidget(intro)
        page.addWidget(self.table, 1)
        page.addLayout(buttons)
        page.addWidget(self.message_label)
        self.adapters_tab = AdaptersTab(registry, controller.adapter_downloads)
        self.controlnets_tab = ControlNetsTab(registry, controller.controlnet_downloads)
        self.weights_tab = WeightsTab(registry, controller.weight_downloads)
        self.tabs = QTabWidget()
        self.tabs.addTab(base, "Base models")
        self.tabs.addTab(self.adapters_tab, "Adapters")
        self.tabs.addTab(self.controlnets_tab, "ControlNets")
        self.tabs.addTab(self.weights_tab, "Detector weights")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        chosen = self.selected()
        models = self.controller.entries()
        self.models = models
        self.table.setRowCount(len(models))
        total = 0
        for row, model in enumerate(models):
            location = model.location()
            size = size_on_disk(location) if location is not None else 0
            total += size
            state = model.state()
            if self.controller.downloading == model.reference:
                state = "downloading"
            cells = (model.label, FAMILY_NAMES.get(model.family, model.family),
                     KIND_NAMES.get(model.kind, model.kind), state,
                     human_bytes(size) if location is not None else download_words(model),
                     str(location) if location is not None else model.reference)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(model.reference if column == 0 else text)
                self.table.setItem(row, column, item)
        self.total_label.setText(f"On disk: {human_bytes(total)}")
        if chosen is not None:
            self.select(chosen.reference)
        self._update_buttons()

    def row_of(self, reference: str) -> int:
        return next((i for i, m in enumerate(self.models) if m.reference == reference), -1)

    def select(self, reference: str) -> None:
        row = self.row_of(reference)
        if row >= 0:
            self.table.selectRow(row)

    def selected(self) -> KnownModel | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or not hasattr(self, "models"):
            return None
        return self.models[rows[0].row()]

    def state_of(self, reference: str) -> str:
        return self.table.item(self.row_of(reference), COLUMNS.index("State")).text()

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _update_buttons(self) -> None:
        model = self.selected()
        busy = self.controller.downloading is not None
        can_download = (model is not None and model.kind == "hub" and downloaded(
            model.reference) is None and not busy)
        self.download_button.setEnabled(can_download)
        offline = " Offline mode is on (HF_HUB_OFFLINE): it will say so." if hub_offline() else ""
        self.download_button.setToolTip("Download the selected hub model, with progress and "
                                        "Cancel; an interrupted download resumes." + offline)
        self.remove_button.setEnabled(model is not None and model.kind != "demo")


class ModelsController(QObject):
    """The Models menu, the model list, downloads, and the models Generate offers."""

    models_changed = Signal()

    def __init__(self, generation_settings: GenerationSettings, registry: ConditionRegistry,
                 weight_downloads: WeightDownloads, *, menus: QMenuBar,
                 status_bar: QStatusBar, say: Callable[[str], None], parent: QWidget,
                 models: ModelList | None = None, downloads: WeightDownloads | None = None,
                 settings: SettingsStore | None = None) -> None:
        """Every listed model is offered in ``generation_settings``; the dialog's tabs list the
        adapters and detector weights of ``registry``'s conditions, the weights downloading
        with ``weight_downloads`` (the Condition dock's service). The Models menu goes at the
        end of ``menus``, the memory setting in ``status_bar``; ``say`` tells what was done
        and dialogs open over ``parent``. ``settings`` keeps the memory setting (the one
        Edit → Settings… shows too: call :meth:`show_memory` when it changes there)."""
        super().__init__(parent)
        self.generation_settings = generation_settings
        self.registry = registry
        self.say = say
        self.parent_widget = parent
        self.models = models or ModelList.load()
        if self.models.note:  # the model list could not be read whole: told once
            say(self.models.note)
        self.settings = settings or SettingsStore()
        self.downloads = downloads or model_downloads(self)
        self.adapter_downloads = adapter_downloads(self)
        """Adapters tab: one adapter repository per download, into the models folder."""
        self.controlnet_downloads = controlnet_downloads(self)
        """ControlNets tab: one ControlNet repository per download, into the models folder."""
        self.weight_downloads = weight_downloads
        """Detector weights tab: the Condition dock's service (one download at a time)."""
        self.downloading: str | None = None
        self.dialog: ModelManagerDialog | None = None
        self.download_dialog: DownloadDialog | None = None
        self.choose_path: Callable[[], str] = self._ask_path
        """Asks for a model folder or .safetensors file ("" when cancelled); tests replace it."""
        self.ask_remove: Callable[[KnownModel, bool], str] = self._ask_remove
        """"list", "delete" (files too) or "cancel"; tests replace it."""

        self.manage_action = QAction("&Manage models…", parent)
        self.manage_action.setToolTip("Add, download and remove the models Generate offers")
        self.manage_action.triggered.connect(self.open_dialog)
        self.memory_group = QActionGroup(self)
        self.memory_actions: dict[str, QAction] = {}
        for setting, text in MEMORY_SETTINGS.items():
            action = QAction(text, parent, checkable=True)
            action.setChecked(setting == self.settings.memory_policy)
            action.triggered.connect(lambda _c=False, s=setting: self.set_memory(s))
            self.memory_group.addAction(action)
            self.memory_actions[setting] = action
        menu = QMenu("&Models", menus)
        help_menu = next((action for action in menus.actions() if action.menu() is not None
                          and action.text().replace("&", "") == "Help"), None)
        menus.insertMenu(help_menu, menu)  # before Help, which stays last (None: at the end)
        menu.setToolTipsVisible(True)
        menu.addAction(self.manage_action)
        memory = menu.addMenu("&Memory")
        memory.setToolTipsVisible(True)
        memory.aboutToShow.connect(self.show_memory)  # Edit → Settings… may have changed it
        for action in self.memory_actions.values():
            memory.addAction(action)
        self.menu = menu
        self.memory_label = QLabel()
        status_bar.addPermanentWidget(self.memory_label)
        self.show_memory()
        self.sync_generate_panel()

    # -- the list -----------------------------------------------------------------------------
    def entries(self) -> list[KnownModel]:
        return self.models.entries()

    def sync_generate_panel(self) -> None:
        """Offer every listed model in the Generate panel, keeping the artist's choice."""
        entries = [(m.label, m.reference, m.family) for m in self.entries()]
        settings = self.generation_settings
        current = settings.entry(settings.model)
        known = {reference for _label, reference, _family in entries}
        ordered = [current] if current is not None and current[1] in known else []
        ordered += [e for e in entries if current is None or e[1] != current[1]]
        settings.set_models(ordered)
        self.models_changed.emit()
        if self.dialog is not None:
            self.dialog.refresh()

    def open_dialog(self, select: str | None = None) -> ModelManagerDialog:
        """Models → Manage models…; ``select``: the model reference to select (the first-run
        banner's SDXL base 1.0)."""
        if self.dialog is None:
            self.dialog = ModelManagerDialog(self, self.registry, self.parent_widget)
        self.dialog.refresh()
        if select is not None:
            self.dialog.select(select)
        self.dialog.adapters_tab.refresh()
        self.dialog.controlnets_tab.refresh()
        self.dialog.weights_tab.refresh()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _tell(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.show_message(text)
        self.say(text)

    def add_local(self) -> KnownModel | None:
        path = self.choose_path()
        if not path:
            return None
        try:
            model = self.models.add_local(path)
        except (T2IAError, OSError) as error:
            self._tell(str(error))
            return None
        self.sync_generate_panel()
        if self.dialog is not None:
            self.dialog.select(model.reference)
        self._tell("")
        self.say(f"Added {model.label} ({FAMILY_NAMES[model.family]}).")
        return model

    def remove(self, model: KnownModel | None) -> None:
        if model is None or model.kind == "demo":
            return
        can_delete = downloaded(model.reference) is not None or download_folder(
            model.reference).is_dir() if model.kind == "hub" else False
        answer = self.ask_remove(model, can_delete)
        if answer == "cancel":
            return
        if answer == "delete" and can_delete:
            shutil.rmtree(download_folder(model.reference), ignore_errors=True)
        self.models.remove(model.reference)
        self.sync_generate_panel()
        self.say(f"Removed {model.label} from the models list.")

    # -- downloads ----------------------------------------------------------------------------
    def download(self, model: KnownModel | None) -> DownloadDialog | None:
        if model is None or model.kind != "hub":
            return None
        try:
            task = self.downloads.start([model.reference])
        except T2IAError as error:
            self._tell(str(error))
            return None
        self.downloading = model.reference
        dialog = DownloadDialog(task, f"Downloading {model.label}",
                                str(download_folder(model.reference)),
                                self.dialog or self.parent_widget)
        task.succeeded.connect(lambda _paths: self._downloaded(model))
        task.failed.connect(lambda text: self._download_over(f"{model.label}: {text}"))
        task.cancelled.connect(lambda: self._download_over(
            f"Download of {model.label} cancelled; complete files are kept and the next "
            "Download resumes."))
        self.download_dialog = dialog
        dialog.open()
        if self.dialog is not None:
            self.dialog.refresh()
        return dialog

    def _downloaded(self, model: KnownModel) -> None:
        if not any(m.reference == model.reference for m in self.models.added) \
                and not model.builtin:
            self.models.add_hub(model.reference, model.family, model.label)
        self._download_over(f"Downloaded {model.label}.")

    def _download_over(self, text: str) -> None:
        self.downloading = None
        self.sync_generate_panel()
        self._tell(text)

    # -- memory -------------------------------------------------------------------------------
    def set_memory(self, setting: str) -> None:
        try:
            self.settings.save(replace(self.settings.settings, memory_policy=setting))
        except (OSError, ValueError) as error:
            self.say(f"Could not save the memory setting: {error}")
            self.show_memory()
            return
        self.show_memory()
        self.say(f"Memory: {MEMORY_SETTINGS[setting]} — applies from the next "
                                 "model load (the next job reloads the model).")

    def show_memory(self) -> None:
        setting = self.settings.memory_policy
        if setting in self.memory_actions:
            self.memory_actions[setting].setChecked(True)
        self.memory_label.setText(f"Memory: {setting}")
        self.memory_label.setToolTip(
            f"{MEMORY_SETTINGS[setting]}. The plan the engine chose for the device shows next "
            "to the device name. Change it in Models → Memory.")

    # -- questions ----------------------------------------------------------------------------
    def _ask_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget,
            "Add a model: a .safetensors checkpoint (or Cancel to pick a folder)",
            "", "Checkpoints (*.safetensors *.ckpt *.bin *.pt *.pth)")
        if path:
            return path
        return QFileDialog.getExistingDirectory(self.parent_widget, "Add a diffusers model folder")

    def _ask_remove(self, model: KnownModel, can_delete: bool) -> str:
        box = QMessageBox(self.dialog or self.parent_widget)
        box.setWindowTitle("Remove model")
        box.setText(f"Remove {model.label} from the models list?")
        keep = box.addButton("Remove from list", QMessageBox.ButtonRole.AcceptRole)
        delete = None
        if can_delete:
            box.setInformativeText(f"Its downloaded files ({download_folder(model.reference)}) "
                                   "can be deleted too; that cannot be undone.")
            delete = box.addButton("Remove and delete files",
                                   QMessageBox.ButtonRole.DestructiveRole)
        else:
            box.setInformativeText("Its files stay where they are.")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is keep:
            return "list"
        if delete is not None and box.clickedButton() is delete:
            return "delete"
        return "cancel"
