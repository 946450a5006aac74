"""Edit → Settings…: OK applies and saves, Cancel discards, a bad folder is refused next to its
field, Open folder shows the folder, and a step preview's TAESD note reaches the status bar."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from t2ia_desktop.core.paths import data_dir, history_dir, plugins_dir
from t2ia_desktop.core.settings import Settings, SettingsStore
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.dialogs import settings as settings_dialog
from t2ia_desktop.ui.dialogs.settings import NOTE_KEY, SettingsController, SettingsDialog
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.fakes import FakeEngine, never_stop
from tests.ui.helpers import finish_pending, main_window, settings_controller, shown

TAESD_NOTE = "madebyollin/taesdxl is not in /x: step previews use the approximate colours."


class NotingEngine(FakeEngine):
    """The fake engine, its step previews saying (as engine/taesd.py does) why TAESD was not
    used."""

    def generate(self, request, on_step=None, should_stop=never_stop, on_preview=None,
                 on_phase=None):
        def noted(render):
            def with_note():
                image = render()
                image.info[NOTE_KEY] = TAESD_NOTE
                return image
            on_preview(with_note)

        return super().generate(request, on_step, should_stop,
                                noted if on_preview is not None else None, on_phase)


@pytest.fixture
def engine() -> FakeEngine:
    return NotingEngine(step_seconds=0.001)


@pytest.fixture
def store() -> SettingsStore:
    return SettingsStore()


@pytest.fixture
def autosaving(qtbot, loop, document, runner, updater, models) -> Iterator[MainWindow]:
    """The window as the app builds it: autosave on, every 30 s."""
    main = shown(qtbot, main_window(document, runner, models, updater=updater,
                                    tool_state=ToolState(), autosave_seconds=30))
    yield main
    main.close()


@pytest.fixture
def controller(autosaving, store, monkeypatch) -> SettingsController:
    monkeypatch.setenv("T2IA_ANNOTATORS", "")  # whatever OK sets is undone after the test
    monkeypatch.delenv("T2IA_ANNOTATORS")
    return settings_controller(autosaving, store)


def open_dialog(qtbot, controller: SettingsController, window: MainWindow) -> SettingsDialog:
    (action,) = [a for a in window.edit_menu.actions() if a.text() == "Settings…"]
    assert action.shortcut().toString() == "Ctrl+,"
    assert action.toolTip()
    action.trigger()
    dialog = controller.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def press(qtbot, dialog: SettingsDialog, which: QDialogButtonBox.StandardButton) -> None:
    qtbot.mouseClick(dialog.buttons.button(which), Qt.MouseButton.LeftButton)


def test_ok_applies_the_autosave_interval_and_live_opacity_and_saves_them(
        qtbot, controller, autosaving, store):
    assert autosaving.autosaver.timer.interval() == 30_000
    dialog = open_dialog(qtbot, controller, autosaving)
    assert dialog.autosave_spin.toolTip()
    assert dialog.memory_combo.toolTip()
    dialog.autosave_spin.setValue(8)
    dialog.opacity_slider.setValue(40)
    dialog.live_steps_spin.setValue(9)
    dialog.memory_combo.setCurrentIndex(dialog.memory_combo.findData("low-vram"))
    with qtbot.waitSignal(controller.changed) as changed:
        press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)

    assert not dialog.isVisible()
    assert changed.args[0].autosave_seconds == 8
    assert autosaving.autosaver.timer.interval() == 8_000  # the autosave uses it
    assert autosaving.live.overlay.opacity == pytest.approx(0.4)
    assert autosaving.live.session.steps == 9  # live mode uses them, the Live dock shows them
    assert autosaving.live.panel.steps_spin.value() == 9
    reread = SettingsStore()
    assert reread.settings.live_steps == 9
    assert reread.settings.autosave_seconds == 8
    assert reread.settings.live_opacity == 0.4
    assert reread.memory_policy == "low-vram"

    autosaving.generate_panel.prompt_edit.setPlainText("unsaved work")  # a change: it waits
    assert autosaving.autosaver.timer.isActive()
    assert autosaving.autosaver.timer.interval() == 8_000


def test_cancel_discards_the_changes(qtbot, controller, autosaving, store):
    dialog = open_dialog(qtbot, controller, autosaving)
    dialog.autosave_spin.setValue(600)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert store.settings == Settings()
    assert not store.path.exists()
    assert autosaving.autosaver.timer.interval() == 30_000
    assert open_dialog(qtbot, controller, autosaving).autosave_spin.value() == 30


def test_a_missing_or_read_only_folder_is_refused_next_to_its_field(
        qtbot, controller, autosaving, store, tmp_path):
    dialog = open_dialog(qtbot, controller, autosaving)
    qtbot.keyClicks(dialog.annotators.edit, str(tmp_path / "no such folder"))
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)

    assert dialog.isVisible()  # refused: nothing applied, nothing lost
    assert dialog.annotators.error_label.isVisible()
    assert "does not exist" in dialog.annotators.error_label.text()
    assert store.settings == Settings()

    dialog.taesd.edit.setText(str(tmp_path / "no taesd either"))
    weights = tmp_path / "weights"
    weights.mkdir()
    dialog.annotators.choose = lambda: str(weights)  # Browse… picks a good folder
    qtbot.mouseClick(dialog.annotators.browse_button, Qt.MouseButton.LeftButton)
    assert not dialog.annotators.error_label.isVisible()
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert dialog.isVisible()
    assert "does not exist" in dialog.taesd.error_label.text()

    dialog.taesd.edit.clear()  # empty: the app's own TAESD folder
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert not dialog.isVisible()
    assert store.settings.annotators_folder == str(weights)
    assert os.environ["T2IA_ANNOTATORS"] == str(weights)  # what the weight look-ups read


def test_open_folder_shows_each_folder(qtbot, controller, autosaving, monkeypatch):
    opened = []
    monkeypatch.setattr(settings_dialog.QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    dialog = open_dialog(qtbot, controller, autosaving)
    for key in ("data", "history", "plugins"):
        qtbot.mouseClick(dialog.open_buttons[key], Qt.MouseButton.LeftButton)
    assert opened == [str(data_dir()), str(history_dir()), str(plugins_dir())]
    assert plugins_dir().is_dir()  # made for the artist to drop plugins into
    assert dialog.open_buttons["plugins"].toolTip()


def test_taesd_choice_shows_what_is_found(qtbot, controller, autosaving, tmp_path):
    dialog = open_dialog(qtbot, controller, autosaving)
    dialog.preview_combo.setCurrentIndex(dialog.preview_combo.findData("taesd"))
    (tmp_path / "taesdxl").mkdir()
    (tmp_path / "taesdxl" / "config.json").write_text("{}")
    (tmp_path / "taesdxl" / "diffusion_pytorch_model.safetensors").write_bytes(b"")
    dialog.taesd.edit.setText(str(tmp_path))
    assert "taesdxl/ (SDXL): found" in dialog.taesd_found.text()
    assert "taesd/ (SD15): missing" in dialog.taesd_found.text()
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert controller.store.settings.step_preview_decoder == "taesd"
    assert controller.store.settings.taesd_folder == str(tmp_path)


def test_the_reason_taesd_is_not_used_shows_once_in_the_status_bar(
        qtbot, store, autosaving, loop):
    shown = []
    settings_controller(autosaving, store, say=shown.append)  # what the status bar is told
    autosaving.generate()
    finish_pending(loop, autosaving)
    autosaving.generate()
    finish_pending(loop, autosaving)
    assert shown.count(TAESD_NOTE) == 1


def test_a_damaged_settings_file_is_told_and_the_app_still_opens(qtbot, autosaving):
    path = SettingsStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{oops")
    shown = []
    settings_controller(autosaving, SettingsStore(), say=shown.append)
    assert any("set aside" in text and "default" in text for text in shown)
    assert list(path.parent.glob("settings.json-unreadable-*"))  # kept, not lost
