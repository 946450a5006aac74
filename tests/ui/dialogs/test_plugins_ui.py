"""Plugins in the window: a plugin condition's auto-built controls (colour included), the
Plugins dialog (list, errors, turning off, the folder, reload) and what a reload refreshes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from t2ia_desktop.core.conditions.plugin_manifest import PluginFolder
from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.core.paths import plugins_dir
from t2ia_desktop.ui.conditions.param_editors import (
    BoolEditor,
    ChoiceEditor,
    ColourEditor,
    IntEditor,
)
from tests.plugin_folders import good_plugin, write_plugin
from tests.ui import plugin_window
from tests.ui.helpers import DETECT_TIMEOUT, detected, menu_action, plugins_controller


@pytest.fixture
def plugin_root(tmp_path):
    root = tmp_path / "plugins"
    good_plugin(root)
    write_plugin(root, "broken", "import no_such_module_here\n")
    return root


@pytest.fixture
def host(plugin_root, tmp_path) -> PluginHost:
    return PluginHost([PluginFolder(plugin_root, "--plugins")], tmp_path / "plugins.json",
                      entry_points=False)


# the preview scheduler, condition updater and Plugins controller on this module's host
scheduler, updater, plugins = plugin_window.scheduler, plugin_window.updater, plugin_window.plugins


def add_cut_lines(qtbot, window):
    with detected(qtbot, window.document):
        menu_action(window, "cut-lines").trigger()
    return window.current_condition


def test_a_plugin_conditions_controls_are_built_and_drive_its_layer(qtbot, window, plugins):
    layer = add_cut_lines(qtbot, window)
    assert layer is not None
    assert layer.condition.condition == "cut-lines"
    assert "From plugin Good 0.1 (--plugins folder" in menu_action(window, "cut-lines").toolTip()
    editors = window.condition_panel.editors
    assert isinstance(editors["cut"], IntEditor)
    assert isinstance(editors["soft"], BoolEditor)
    assert isinstance(editors["shape"], ChoiceEditor)
    ink = editors["ink"]
    assert isinstance(ink, ColourEditor)
    assert ink.text.text() == "#ff0000"
    assert "#ff0000" in ink.button.styleSheet()
    assert "Choose a colour" in ink.button.toolTip()

    qtbot.keyClick(editors["cut"].spin, Qt.Key.Key_Up)
    asked = []
    ink.choose_colour = lambda initial, parent, title: asked.append(initial.name()) \
        or QColor("#3366cc")
    qtbot.mouseClick(ink.button, Qt.MouseButton.LeftButton)
    assert asked == ["#ff0000"]
    ink.text.setFocus()
    ink.text.selectAll()
    qtbot.keyClicks(ink.text, "#00aa00")
    qtbot.keyClick(ink.text, Qt.Key.Key_Return)
    assert layer.condition.params == {"cut": 129, "ink": "#00aa00", "soft": False,
                                      "shape": "round"}
    ink.choose_colour = lambda *_: QColor()  # cancelled: nothing changes
    qtbot.mouseClick(ink.button, Qt.MouseButton.LeftButton)
    assert layer.condition.params["ink"] == "#00aa00"
    window.undo_actions.undo_step()  # each colour change is one undo step
    assert layer.condition.params["ink"] == "#3366cc"
    assert ink.text.text() == "#3366cc"
    qtbot.waitUntil(lambda: not window.updater.scheduler.is_busy(layer.id),
                    timeout=DETECT_TIMEOUT)
    assert not layer.condition.error


def test_the_plugins_dialog_lists_plugins_with_origin_and_errors(qtbot, window, plugins,
                                                                plugin_root):
    assert plugins.action in plugins.help_menu.actions()
    assert plugins.help_menu.title().replace("&", "") == "Help"
    assert "1 plugin could not load (Broken)" in plugins.failure_summary()
    plugins.action.trigger()
    dialog = plugins.dialog
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    table = dialog.table
    assert table.rowCount() == 2
    broken = dialog.row_of("broken")
    status = table.item(broken, 4).text()
    assert status.startswith("failed: cannot import it: ModuleNotFoundError")
    assert table.item(broken, 3).text() == f"--plugins: {plugin_root / 'broken'}"
    good = dialog.row_of("good")
    assert table.item(good, 4).text() == "loaded"
    assert table.item(good, 2).text() == "cut-lines"
    table.selectRow(broken)
    assert "no_such_module_here" in dialog.details.toPlainText()

    opened = []
    plugins.open_url = lambda url: opened.append(url.toLocalFile())
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened == [str(plugins_dir())]
    assert plugins_dir().is_dir()


def test_turning_a_plugin_off_removes_its_condition_and_is_remembered(qtbot, window, plugins,
                                                                     host):
    layer = add_cut_lines(qtbot, window)
    dialog = plugins.show_dialog()
    qtbot.addWidget(dialog)
    box = dialog.table.item(dialog.row_of("good"), 0)
    box.setCheckState(Qt.CheckState.Unchecked)  # what clicking the check box does
    assert "good" in host.disabled()
    assert dialog.table.item(dialog.row_of("good"), 4).text() == "disabled"
    window.condition_actions.add_condition_menu.aboutToShow.emit()
    assert not [a for a in window.condition_actions.add_condition_menu.actions()
                if a.objectName() == "add_cut-lines"]
    assert "not available any more" in layer.condition.error
    assert "Plugins reloaded" in window.statusBar().currentMessage()
    dialog.table.item(dialog.row_of("good"), 0).setCheckState(Qt.CheckState.Checked)
    assert menu_action(window, "cut-lines").isEnabled()
    qtbot.waitUntil(lambda: not layer.condition.error, timeout=DETECT_TIMEOUT)


def test_reload_picks_up_a_changed_plugin_and_rebuilds_the_condition_dock(
        qtbot, window, plugins, plugin_root):
    layer = add_cut_lines(qtbot, window)
    window.condition_panel.editors["cut"].set_value(10)
    window.edits.set_params(layer, cut=10)
    write_plugin(plugin_root, "good", """
        from t2ia_desktop.plugin_api import ConditionType, ParamSpec

        def register():
            return ConditionType(
                "cut-lines", "Cut lines v2", "Now with a level", {"sdxl": "o/r"},
                detector=lambda image, params: image.convert("L"),
                params=(ParamSpec("cut", "int", 128, "Cut", 0, 255),
                        ParamSpec("level", "float", 0.5, "Level", 0, 1)))
    """)
    dialog = plugins.show_dialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert menu_action(window, "cut-lines").text() == "Cut lines v2"
    assert set(window.condition_panel.editors) == {"cut", "level"}
    assert window.condition_panel.editors["cut"].value() == 10  # the layer kept its setting
    assert layer.condition.params == {"cut": 10, "level": 0.5}
    assert window.condition_panel.description_label.text() == "Now with a level"
    qtbot.waitUntil(lambda: not window.updater.scheduler.is_busy(layer.id),
                    timeout=DETECT_TIMEOUT)


def test_safe_mode_lists_the_other_plugins_as_skipped_and_one_can_be_turned_off(
        qtbot, window, plugin_root, tmp_path):
    host = PluginHost([PluginFolder(plugin_root, "user")], tmp_path / "safe.json",
                      entry_points=False, safe_mode=True)
    controller = plugins_controller(window, host)
    assert controller.start_summary() == \
        "Safe mode: only the bundled plugins are loaded (2 others in Help → Plugins…)."
    dialog = controller.show_dialog()
    qtbot.addWidget(dialog)
    assert dialog.safe_mode_label.isVisible()
    broken = dialog.row_of("broken")
    assert dialog.table.item(broken, 4).text() == \
        "skipped: safe mode: only the bundled plugins are loaded"  # never imported: no error
    dialog.table.item(broken, 0).setCheckState(Qt.CheckState.Unchecked)  # the culprit
    assert host.disabled() == {"broken"}
    assert dialog.table.item(dialog.row_of("broken"), 4).text() == "disabled"
    assert dialog.table.item(dialog.row_of("good"), 4).text().startswith("skipped")


def test_an_unreadable_plugins_file_shows_them_off_and_is_told_once(qtbot, window, plugin_root,
                                                                    tmp_path):
    damaged = tmp_path / "damaged.json"
    damaged.write_text('{"version": 1, "disabled": ' + "[" * 50_000)
    host = PluginHost([PluginFolder(plugin_root, "user")], damaged, entry_points=False)
    controller = plugins_controller(window, host)
    summary = controller.start_summary()
    assert summary.startswith(f"The plugin settings {damaged} could not be read")
    assert "every plugin but the bundled ones is off until you turn it on" in summary
    assert controller.start_summary() == ""  # told once; the broken plugin is off too
    dialog = controller.show_dialog()
    qtbot.addWidget(dialog)
    for plugin in ("good", "broken"):
        row = dialog.row_of(plugin)
        assert dialog.table.item(row, 0).checkState() == Qt.CheckState.Unchecked
        assert dialog.table.item(row, 4).text() == "disabled"
    dialog.table.item(dialog.row_of("good"), 0).setCheckState(Qt.CheckState.Checked)
    assert dialog.table.item(dialog.row_of("good"), 4).text() == "loaded"
    assert dialog.table.item(dialog.row_of("broken"), 4).text() == "disabled"


def test_a_plugins_file_that_cannot_be_written_is_said_and_holds_for_the_session(
        qtbot, window, plugins, host, monkeypatch):
    import t2ia_desktop.core.conditions.plugins as plugin_module

    def read_only(path, disabled):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(plugin_module, "write_plugin_state", read_only)
    dialog = plugins.show_dialog()
    qtbot.addWidget(dialog)
    dialog.table.item(dialog.row_of("good"), 0).setCheckState(Qt.CheckState.Unchecked)
    assert "Cannot save" in window.statusBar().currentMessage()
    assert "for this session only" in window.statusBar().currentMessage()
    assert dialog.table.item(dialog.row_of("good"), 4).text() == "disabled"
