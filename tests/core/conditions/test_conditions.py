"""The condition registry and parameter specs."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.conditions.registry import (
    ConditionRegistry,
    ConditionType,
    ParamSpec,
    builtin_conditions,
    default_registry,
)
from t2ia_desktop.core.errors import BadInput

BUILTINS = ["sketch", "lineart", "canny", "depth-midas", "depth-zoe", "openpose", "keypose",
            "color"]


def _plugin(condition_id: str = "scribble") -> ConditionType:
    return ConditionType(
        condition_id, "Scribble", "A plugin condition", {"sdxl": "someone/scribble-xl"},
        detector="sketch", source="plugin: test",
    )


def test_builtins_are_registered_in_order():
    registry = default_registry()
    assert registry.ids() == BUILTINS
    for condition_id in BUILTINS:
        assert condition_id in registry
        assert registry.get(condition_id).id == condition_id
        assert registry.get(condition_id).source == "built-in"
    assert [c.id for c in registry] == BUILTINS


def test_get_an_unknown_id_raises_bad_input_listing_known_ids():
    with pytest.raises(BadInput) as caught:
        default_registry().get("scribble")
    message = str(caught.value)
    assert "scribble" in message
    for condition_id in BUILTINS:
        assert condition_id in message


def test_duplicate_registration_is_refused_and_keeps_the_first():
    registry = default_registry()
    original = registry.get("sketch")
    with pytest.raises(BadInput, match="sketch"):
        registry.register(_plugin("sketch"))
    assert registry.get("sketch") is original
    assert registry.ids() == BUILTINS


def test_extra_conditions_come_after_the_builtins():
    registry = default_registry([_plugin()])
    assert registry.ids() == [*BUILTINS, "scribble"]
    assert registry.get("scribble").source == "plugin: test"


def test_an_empty_registry_knows_nothing():
    registry = ConditionRegistry()
    assert registry.ids() == []
    assert "sketch" not in registry
    with pytest.raises(BadInput):
        registry.get("sketch")


def test_sd15_adapters_exclude_lineart_and_include_color():
    ids = [c.id for c in default_registry() if "sd15" in c.adapters]
    assert "lineart" not in ids
    assert "color" in ids
    assert ids == [i for i in BUILTINS if i != "lineart"]


def test_sdxl_adapters_exclude_color_and_keypose():
    ids = [c.id for c in default_registry() if "sdxl" in c.adapters]
    assert ids == [i for i in BUILTINS if i not in ("color", "keypose")]


def test_adapter_for_a_family_it_has():
    sketch = default_registry().get("sketch")
    assert sketch.adapter_for("sdxl") == "TencentARC/t2i-adapter-sketch-sdxl-1.0"
    assert sketch.adapter_for("sd15").startswith("TencentARC/")


def test_adapter_for_a_missing_family_raises_bad_input_saying_which_work():
    registry = default_registry()
    with pytest.raises(BadInput, match="SD15") as caught:
        registry.get("lineart").adapter_for("sd15")
    assert "SDXL" in str(caught.value)
    with pytest.raises(BadInput, match="SDXL"):
        registry.get("color").adapter_for("sdxl")


def test_every_builtin_has_an_adapter_and_sane_param_defaults():
    for condition in builtin_conditions():
        assert condition.adapters
        for spec in condition.params:
            spec.check(spec.default)  # defaults are within their own ranges
        assert condition.default_params() == {p.name: p.default for p in condition.params}


def test_param_lookup_names_the_known_parameters():
    canny = default_registry().get("canny")
    assert canny.param("low_threshold").default == 100
    with pytest.raises(BadInput, match="low_threshold"):
        canny.param("sigma")


# -- ParamSpec.parse --------------------------------------------------------------------------

INT = ParamSpec("block", "int", 64, minimum=4, maximum=256)
FLOAT = ParamSpec("strength", "float", 0.5, minimum=0.0, maximum=1.0)
BOOL = ParamSpec("coarse", "bool", False)
CHOICE = ParamSpec("mode", "choice", "fast", choices=("fast", "fine"))


def test_parse_int():
    assert INT.parse("8") == 8
    assert type(INT.parse(" 8 ")) is int
    assert INT.parse("4") == 4
    assert INT.parse("256") == 256


@pytest.mark.parametrize("text", ["x", "8.5", ""])
def test_parse_int_rejects_non_integers(text):
    with pytest.raises(BadInput, match="block must be an int"):
        INT.parse(text)


@pytest.mark.parametrize(("text", "word"), [
    ("3", "at least"), ("257", "at most"), ("-1", "at least"),
])
def test_parse_int_rejects_out_of_range(text, word):
    with pytest.raises(BadInput, match=f"block must be {word}"):
        INT.parse(text)


def test_parse_float():
    assert FLOAT.parse("0.25") == 0.25
    assert FLOAT.parse("1") == 1.0
    with pytest.raises(BadInput, match="strength must be a float"):
        FLOAT.parse("half")
    with pytest.raises(BadInput, match="at most"):
        FLOAT.parse("1.5")
    with pytest.raises(BadInput, match="at least"):
        FLOAT.parse("-0.1")


def test_parse_float_rejects_nan_for_a_ranged_parameter():
    # NaN compares false with both bounds, so a plain range check lets it through
    with pytest.raises(BadInput, match="strength"):
        FLOAT.parse("nan")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("true", True), ("Yes", True), (" on ", True),
     ("0", False), ("False", False), ("no", False), ("off", False)],
)
def test_parse_bool(text, value):
    assert BOOL.parse(text) is value


@pytest.mark.parametrize("text", ["maybe", "2", ""])
def test_parse_bool_rejects_other_words(text):
    with pytest.raises(BadInput, match="coarse must be a bool"):
        BOOL.parse(text)


def test_parse_choice():
    assert CHOICE.parse("fine") == "fine"
    with pytest.raises(BadInput, match="fast, fine"):
        CHOICE.parse("slow")
