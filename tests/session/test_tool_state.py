"""The tool state: every property has a change signal sent once per real change, numbers are
clamped, and colours are opaque (red, green, blue)."""

from __future__ import annotations

import pytest

from t2ia_desktop.session.tool_state import (
    CONTROL_INK,
    DEFAULT_BRUSH_SIZE,
    DEFAULT_OVERLAY_OPACITY,
    INK,
    MAX_BRUSH_SIZE,
    PAPER_WHITE,
    TOOLS,
    ToolState,
)


@pytest.fixture
def state(qapp) -> ToolState:
    return ToolState()


def heard(signal) -> list:
    """What ``signal`` sends from now on."""
    got: list = []
    signal.connect(lambda *args: got.append(args[0] if len(args) == 1 else args))
    return got


def test_it_starts_with_the_brush_and_dark_ink_on_white(state):
    assert state.tool == "brush"
    assert state.tools == TOOLS
    assert state.brush_size == DEFAULT_BRUSH_SIZE
    assert (state.brush_color, state.background_color, state.control_color) == (
        INK, PAPER_WHITE, CONTROL_INK)
    assert state.options.hardness == 1.0
    assert state.options.fill_tolerance == 32
    assert not state.overlay_enabled
    assert state.overlay_opacity == DEFAULT_OVERLAY_OPACITY


def test_each_property_signals_its_new_value_once(state):
    tools, sizes = heard(state.tool_changed), heard(state.brush_size_changed)
    state.set_tool("fill")
    state.set_tool("fill")
    state.set_brush_size(30)
    state.set_brush_size(30.4)
    assert tools == ["fill"]
    assert sizes == [30]
    enabled, opacity = heard(state.overlay_enabled_changed), heard(state.overlay_opacity_changed)
    state.set_overlay_enabled(True)
    state.set_overlay_enabled(True)
    state.set_overlay_opacity(1.5)
    assert enabled == [True]
    assert opacity == [1.0]
    assert state.overlay_opacity == 1.0


def test_options_are_clamped_and_each_has_its_own_signal(state):
    hardness, options = heard(state.hardness_changed), heard(state.options_changed)
    tolerance = heard(state.fill_tolerance_changed)
    state.set_option("hardness", -1)
    state.set_option("hardness", 0.0)
    state.set_option("fill_tolerance", 300.7)
    state.set_option("pressure_opacity", 1)
    assert hardness == [0.0]
    assert tolerance == [255]
    assert state.options.fill_tolerance == 255
    assert isinstance(state.options.fill_tolerance, int)
    assert state.options.pressure_opacity is True
    assert len(options) == 3
    with pytest.raises(ValueError, match="unknown brush option 'blur'"):
        state.set_option("blur", 1)


def test_colours_are_opaque_rgb_and_x_swaps_them(state):
    brush, background = heard(state.brush_color_changed), heard(state.background_color_changed)
    colours = heard(state.colors_changed)
    state.set_brush_color((200, 30, 40, 128))  # the alpha is dropped
    state.set_brush_color((200, 30, 40))
    assert state.brush_color == (200, 30, 40)
    state.swap_colors()
    assert state.brush_color == PAPER_WHITE
    assert state.background_color == (200, 30, 40)
    assert brush == [(200, 30, 40), PAPER_WHITE]
    assert background == [(200, 30, 40)]
    assert len(colours) == 2
    state.set_control_color((300, -5, 7))
    assert state.control_color == (255, 0, 7)
    with pytest.raises(ValueError, match="red, green and blue"):
        state.set_brush_color((1, 2))


def test_brush_steps_and_limits(state):
    state.set_brush_size(MAX_BRUSH_SIZE)
    state.grow_brush()
    assert state.brush_size == MAX_BRUSH_SIZE
    state.set_brush_size(1)
    state.shrink_brush()
    assert state.brush_size == 1
    state.grow_brush()
    assert state.brush_size == 2
    with pytest.raises(ValueError, match="unknown tool"):
        state.set_tool("smudge")
    assert ToolState(tools=("brush", "lasso")).tools == ("brush", "lasso")
