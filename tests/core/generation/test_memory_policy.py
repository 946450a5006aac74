"""The memory plan chosen from device facts: no GPU needed, the facts are given."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.generation.memory_policy import (
    GB,
    TILE_ABOVE,
    TILE_ABOVE_LOW,
    DeviceFacts,
    choose_memory_plan,
)


def card(gigabytes: float, free: float | None = None) -> DeviceFacts:
    """A CUDA card of that size; free memory a little below it, as with a desktop running."""
    free = gigabytes - 0.4 if free is None else free
    return DeviceFacts("cuda", int(gigabytes * GB), int(free * GB), f"{gigabytes} GB card")


@pytest.mark.parametrize(("gigabytes", "sdxl", "sd15"), [
    (6, "sequential", "none"),
    (8, "model", "none"),
    (12, "none", "none"),
    (24, "none", "none"),
    (4, "sequential", "model"),
])
def test_auto_offloads_by_the_cards_free_memory_and_the_family(gigabytes, sdxl, sd15):
    assert choose_memory_plan(card(gigabytes), "sdxl").offload == sdxl
    assert choose_memory_plan(card(gigabytes), "sd15").offload == sd15
    for family in ("sdxl", "sd15"):
        assert choose_memory_plan(card(gigabytes), family).dtype == "float16"


def test_small_cards_slice_and_tile_earlier_big_ones_do_not():
    six, eight, big = (choose_memory_plan(card(g)) for g in (6, 8, 24))
    assert six.attention_slicing
    assert six.vae_slicing
    assert six.vae_tiling_above == TILE_ABOVE_LOW
    assert not eight.attention_slicing
    assert eight.vae_slicing
    assert not big.attention_slicing
    assert not big.vae_slicing
    assert big.vae_tiling_above == TILE_ABOVE
    assert big.tiles_at(2048, 2048)
    assert not big.tiles_at(1536, 1536)
    assert six.tiles_at(1024, 1032)
    assert not six.tiles_at(1024, 1024)


def test_free_memory_decides_not_the_size_on_the_box():
    busy = card(12, free=6)  # another app holds half of it
    assert choose_memory_plan(busy, "sdxl").offload == "sequential"
    unknown = DeviceFacts("cuda", 12 * GB, None)
    assert choose_memory_plan(unknown, "sdxl").offload == "none"


def test_cpu_runs_fp32_without_offload():
    plan = choose_memory_plan(DeviceFacts("cpu"), "sdxl")
    assert (plan.dtype, plan.offload, plan.attention_slicing) == ("float32", "none", False)
    assert plan.label() == "fp32"
    assert choose_memory_plan(DeviceFacts("cpu"), "sdxl", "low-vram").vae_slicing


def test_mps_slices_attention_unless_speed_is_asked():
    assert choose_memory_plan(DeviceFacts("mps"), "sdxl").attention_slicing
    assert not choose_memory_plan(DeviceFacts("mps"), "sdxl", "speed").attention_slicing


def test_the_setting_overrides_auto():
    assert choose_memory_plan(card(6), "sdxl", "speed").offload == "none"
    low = choose_memory_plan(card(24), "sdxl", "low-vram")
    assert (low.offload, low.attention_slicing, low.vae_slicing) == ("sequential", True, True)
    assert choose_memory_plan(card(8), "sdxl", "nonsense").setting == "auto"


def test_labels_say_what_was_chosen():
    assert choose_memory_plan(card(8)).label() == "fp16, model offload"
    assert choose_memory_plan(card(24)).label() == "fp16, all on GPU"
    assert choose_memory_plan(card(6)).label() == "fp16, sequential offload, attention slicing"
    assert "Models → Memory" in choose_memory_plan(card(8)).describe()
