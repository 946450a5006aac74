from __future__ import annotations

import logging
import sys
import threading

import pytest

from t2ia_desktop.ui.window.error_funnel import ErrorFunnel


@pytest.fixture
def funnel(qapp):
    errors = ErrorFunnel(log_hint="/logs")
    errors.install()
    yield errors
    errors.uninstall()


def test_an_error_in_another_thread_reaches_the_ui_thread(qtbot, funnel, caplog):
    def explode() -> None:
        raise ValueError("the brush melted")

    with caplog.at_level(logging.ERROR), qtbot.waitSignal(funnel.message, timeout=5000) as got:
        thread = threading.Thread(target=explode)
        thread.start()
        thread.join()
    assert got.args == ["Unexpected error: the brush melted. Details are in the log: /logs"]
    assert "ValueError: the brush melted" in caplog.text  # the traceback went to the log


def test_an_error_escaping_a_slot_is_reported(qtbot, funnel):
    with qtbot.waitSignal(funnel.message, timeout=5000) as got:
        try:
            raise KeyError("layer")
        except KeyError:
            sys.excepthook(*sys.exc_info())
    assert got.args[0].startswith("Unexpected error: 'layer'.")


def test_uninstall_restores_the_previous_hooks(qapp):
    before = (sys.excepthook, threading.excepthook)
    errors = ErrorFunnel()
    errors.install()
    assert sys.excepthook != before[0]
    errors.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
