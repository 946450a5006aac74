"""Help → Plugins…: which condition plugins are loaded, from where, and why one failed.

Plugins are trusted code run in the app's process (as in Krita or GIMP), so the dialog shows
exactly what is loaded and from which folder or package, lets the artist turn a plugin off
(kept across runs) and reloads plugins without restarting. Nothing is downloaded or installed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.conditions.plugins import PluginHost, PluginRecord
from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.paths import plugins_dir
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.plugin_wiring import refresh_condition_layers
from t2ia_desktop.ui.common.widgets import read_only_table

COLUMNS = ("On", "Plugin", "Conditions", "From", "Status")
FAILED_COLOUR = QColor("#b00020")


def record_details(record: PluginRecord) -> str:
    """Everything about a plugin, as plain text the artist can copy into a bug report."""
    lines = [f"{record.name} {record.version}".strip(), f"id: {record.id}",
             f"from: {record.origin} — {record.location}", f"status: {record.state}"]
    if record.conditions:
        lines.append(f"conditions: {', '.join(record.conditions)}")
    for key in ("description", "author", "homepage"):
        if getattr(record, key):
            lines.append(f"{key}: {getattr(record, key)}")
    if record.error:
        lines.append(f"error: {record.error}")
    if record.skipped:
        lines.append(f"not loaded: {record.skipped}")
    return "\n".join(lines)


def status_text(record: PluginRecord, missing: tuple[str, ...] = ()) -> str:
    """The Status column: loaded, disabled, skipped (and why) or failed (and why); a loaded
    plugin whose detectors lack weight files ``missing`` says so instead of "loaded"."""
    if record.state == "failed":
        return f"failed: {record.error}"
    if record.state == "skipped":
        return f"skipped: {record.skipped}"
    if record.state == "loaded" and missing:
        return f"weights missing: {', '.join(missing)}"
    return record.state


class PluginsDialog(QDialog):
    """The table of plugins with an on/off box each, their details, and the folder buttons."""

    def __init__(self, controller: PluginsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Plugins")
        self.resize(820, 420)
        intro = QLabel(
            "Condition plugins add new kinds of condition layer. They are Python code that runs "
            "inside the app: install only plugins you trust. Drop a plugin's folder into the "
            f"plugins folder ({plugins_dir()}) and press Reload.")
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.safe_mode_label = QLabel(
            "Safe mode: only the bundled plugins are loaded. Turn off the plugin that stopped "
            "the app, then start t2ia desktop again without safe mode to load the others.")
        self.safe_mode_label.setWordWrap(True)
        self.safe_mode_label.setStyleSheet(f"color: {FAILED_COLOUR.name()}")
        self.safe_mode_label.setVisible(controller.host.safe_mode)
        self.table = read_only_table(COLUMNS)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(120)
        self.details.setToolTip("The selected plugin in full (select and copy for a report)")
        self.open_button = QPushButton("Open plugins folder")
        self.open_button.setToolTip(f"Show {plugins_dir()} in the file manager (made if needed)")
        self.open_button.clicked.connect(controller.open_plugins_folder)
        self.reload_button = QPushButton("Reload plugins")
        self.reload_button.setToolTip("Read every plugin again, new and changed ones included; "
                                      "condition layers keep their settings (F5)")
        self.reload_button.setShortcut("F5")
        self.reload_button.clicked.connect(controller.reload)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.safe_mode_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.records: list[PluginRecord] = []
        controller.reloaded.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the host's plugins as they are now."""
        selected = self.table.currentRow()
        self.records = list(self.controller.host.records)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.records))
        for row, record in enumerate(self.records):
            on = QTableWidgetItem()
            on.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                        | Qt.ItemFlag.ItemIsSelectable)
            on.setCheckState(Qt.CheckState.Checked if record.enabled else Qt.CheckState.Unchecked)
            on.setToolTip("Load this plugin (turning it off is kept across runs)")
            cells = [on, QTableWidgetItem(f"{record.name} {record.version}".strip()),
                     QTableWidgetItem(", ".join(record.conditions)),
                     QTableWidgetItem(f"{record.origin}: {record.location}"),
                     QTableWidgetItem(status_text(record, self.controller.missing_of(record)))]
            for column, item in enumerate(cells):
                item.setToolTip(item.toolTip() or record_details(record))
                if record.state == "failed":
                    item.setForeground(FAILED_COLOUR)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        if self.records:
            self.table.selectRow(min(max(selected, 0), len(self.records) - 1))
        self._show_details()

    def row_of(self, plugin_id: str) -> int:
        return next(i for i, r in enumerate(self.records) if r.id == plugin_id)

    def _show_details(self) -> None:
        row = self.table.currentRow()
        self.details.setPlainText(record_details(self.records[row])
                                  if 0 <= row < len(self.records) else "")

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        record = self.records[item.row()]
        self.controller.set_enabled(record.id, item.checkState() == Qt.CheckState.Checked)


def help_menu_of(menus: QMenuBar) -> QMenu:
    """The Help menu of ``menus``, added at its end when there is none yet."""
    found = next((a.menu() for a in menus.actions()
                  if a.menu() is not None and a.text().replace("&", "") == "Help"), None)
    return found if isinstance(found, QMenu) else menus.addMenu("&Help")


class PluginsController(QObject):
    """Help → Plugins…; reloads plugins and brings the condition layers up to date.

    Menus and docks built from the registry connect to :attr:`reloaded` to rebuild
    themselves."""

    reloaded = Signal()
    """The plugins were read again: the registry holds the conditions they register now."""

    def __init__(self, host: PluginHost, updater: ConditionUpdater, menus: QMenuBar,
                 say: Callable[[str], None], parent: QWidget) -> None:
        """Plugins… goes in the Help menu of ``menus``; a reload gives ``updater``'s condition
        layers their new condition types and tells what it did with ``say``; the dialog
        opens over ``parent``."""
        super().__init__(parent)
        self.host = host
        self.updater = updater
        self.say = say
        self.parent_widget = parent
        self.dialog: PluginsDialog | None = None
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        """Opens the plugins folder in the file manager; tests replace it."""
        self.missing_weights: Callable[[tuple[str, ...]], tuple[str, ...]] = lambda _f: ()
        """Which of the given detector weight files are not on this machine (app.py sets
        it from the weight downloads)."""
        self.action = QAction("&Plugins…", parent)
        self.action.setObjectName("plugins_action")
        self.action.setToolTip("See, turn off and reload the condition plugins")
        self.action.setStatusTip(self.action.toolTip())
        self.action.triggered.connect(self.show_dialog)
        self.help_menu = help_menu_of(menus)
        self.help_menu.addAction(self.action)

    def missing_of(self, record: PluginRecord) -> tuple[str, ...]:
        """The weight files ``record``'s conditions read that are not here."""
        registry = self.host.registry
        files = tuple(dict.fromkeys(
            name for condition in record.conditions if condition in registry
            for name in registry.get(condition).weight_files))
        return self.missing_weights(files) if files else ()

    def show_dialog(self) -> PluginsDialog:
        if self.dialog is None:
            self.dialog = PluginsDialog(self, self.parent_widget)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def failure_summary(self) -> str:
        failed = self.host.failed()
        if not failed:
            return ""
        names = ", ".join(r.name for r in failed)
        return (f"{len(failed)} plugin{'s' if len(failed) > 1 else ''} could not load ({names}): "
                "see Help → Plugins….")

    def start_summary(self) -> str:
        """What the artist should know about the plugins as the window opens: safe mode, a
        plugins file that could not be read (told once), the plugins that failed."""
        parts = self.host.take_notes()
        skipped = len(self.host.skipped())
        if self.host.safe_mode:
            parts.append(f"Safe mode: only the bundled plugins are loaded ({skipped} other"
                         f"{'s' if skipped != 1 else ''} in Help → Plugins…).")
        if self.host.failed():
            parts.append(self.failure_summary())
        return " ".join(parts)

    def reload(self) -> None:
        """Read the plugins again and bring the condition layers up to date; then
        :attr:`reloaded` brings the menus and docks."""
        self.host.reload()
        gone = refresh_condition_layers(self.updater)
        loaded = sum(r.state == "loaded" for r in self.host.records)
        message = f"Plugins reloaded: {loaded} loaded"
        if self.host.failed():
            message += f", {len(self.host.failed())} failed (see Help → Plugins…)"
        if gone:
            message += f"; {', '.join(gone)} lost {'its' if len(gone) == 1 else 'their'} condition"
        self.say(" ".join([message + ".", *self.host.take_notes()]))
        self.reloaded.emit()

    def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        """Turn a plugin on or off now (and for later runs)."""
        try:
            self.host.set_enabled(plugin_id, enabled)
        except T2IAError as error:  # plugins.json cannot be written: this session only
            self.reload()
            self.say(str(error))
            return
        self.reload()

    def open_plugins_folder(self) -> None:
        folder = plugins_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.say(f"Cannot make the plugins folder {folder}: {error}")
            return
        self.open_url(QUrl.fromLocalFile(str(folder)))
