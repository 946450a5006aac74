"""Fixtures for window tests with plugin conditions: the preview scheduler, the condition
updater and the Plugins controller, built on the test module's own ``host`` fixture (a
:class:`PluginHost` over its plugin folders). Import them into the test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from t2ia_desktop.core.conditions.plugins import PluginHost
from t2ia_desktop.runtime.condition_updates import ConditionUpdater
from t2ia_desktop.runtime.previews import PreviewScheduler, registry_detect_factory
from t2ia_desktop.ui.dialogs.plugins import PluginsController
from tests.ui.helpers import plugins_controller


@pytest.fixture
def scheduler(qapp, host: PluginHost) -> Iterator[PreviewScheduler]:
    """The real preview scheduler, detecting with the host's registry (plugins included)."""
    previews = PreviewScheduler(registry_detect_factory(host.registry))
    yield previews
    previews.shutdown()


@pytest.fixture
def updater(document, scheduler, host: PluginHost) -> Iterator[ConditionUpdater]:
    conditions = ConditionUpdater(document, host.registry, scheduler)
    yield conditions
    conditions.disconnect_document()


@pytest.fixture
def plugins(window, host: PluginHost) -> PluginsController:
    return plugins_controller(window, host)
