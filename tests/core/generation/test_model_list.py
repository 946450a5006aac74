"""The model list (models.json): entries of the wrong shape are left out one by one, a file
that is not a list of models at all is set aside; the built-in models are always offered."""

from __future__ import annotations

import json

import pytest

from t2ia_desktop.core.generation.checkpoints import BUILTIN_MODELS, KnownModel, ModelList

GOOD = {"label": "my sdxl", "reference": "me/my-sdxl", "family": "sdxl", "kind": "hub",
        "config": None}


def test_the_list_comes_back_as_it_was_saved(tmp_path):
    path = tmp_path / "models.json"
    models = ModelList.load(path)
    models.add_hub("me/my-sdxl", "sdxl", "my sdxl")
    models.remove(BUILTIN_MODELS[2].reference)
    again = ModelList.load(path)
    assert again.added == [KnownModel("my sdxl", "me/my-sdxl", "sdxl", "hub")]
    assert again.hidden == [BUILTIN_MODELS[2].reference]
    assert again.note == ""
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("bad", [
    5, None, "me/model", [GOOD], dict(GOOD, label=5), dict(GOOD, label=""),
    dict(GOOD, reference=None), dict(GOOD, reference=["a"]), dict(GOOD, family="sd3"),
    dict(GOOD, family=1), dict(GOOD, kind="pickle"), dict(GOOD, config=5),
    dict(GOOD, config={"a": 1}), {k: v for k, v in GOOD.items() if k != "kind"},
    dict(GOOD, label="x" * 5000),
])
def test_an_entry_of_the_wrong_shape_is_left_out_alone(tmp_path, bad):
    path = tmp_path / "models.json"
    other = dict(GOOD, reference="me/other", label="other")
    content = json.dumps({"version": 1, "models": [GOOD, bad, other], "hidden": ["x"]})
    path.write_text(content)
    models = ModelList.load(path)
    assert [m.reference for m in models.added] == ["me/my-sdxl", "me/other"]
    assert models.hidden == ["x"]
    assert "has 1 entry that could not be read" in models.note
    (kept,) = tmp_path.glob("models.json-unreadable-*")
    assert kept.read_text() == content
    again = ModelList.load(path)  # written again without it: told once
    assert again.note == ""
    assert again.added == models.added


@pytest.mark.parametrize(("data", "count"), [
    ({"models": 5}, 1), ({"models": "a"}, 1), ({"models": {"label": "x"}}, 1),
    ({"models": [GOOD], "hidden": 5}, 1), ({"models": [GOOD], "hidden": [5, None, "", "y"]}, 3),
])
def test_lists_of_the_wrong_kind_count_as_bad_entries(tmp_path, data, count):
    path = tmp_path / "models.json"
    path.write_text(json.dumps(data))
    models = ModelList.load(path)
    assert f"has {count} entr" in models.note
    assert [m.reference for m in models.added] == (["me/my-sdxl"] if "hidden" in data else [])
    assert [m.reference for m in models.entries(include_cache=False)][:3] == [
        m.reference for m in BUILTIN_MODELS if m.reference not in models.hidden]


@pytest.mark.parametrize(("content", "why"), [
    ("{oops", "not valid JSON"), ("[1, 2]", "not a JSON object"),
    ('{"models": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests deeper"),
    ('{"models": [{"label": ' + "[" * 20 + "]" * 20 + "}]}", "nests deeper"),
    (json.dumps({"version": 9, "models": [GOOD]}), "newer version"),
])
def test_a_file_that_is_not_a_model_list_is_set_aside(tmp_path, content, why):
    path = tmp_path / "models.json"
    path.write_text(content)
    models = ModelList.load(path)
    assert why in models.note
    assert "built-in models are offered" in models.note
    assert models.added == []
    assert [m.reference for m in models.entries(include_cache=False)] == [
        m.reference for m in BUILTIN_MODELS]
    (aside,) = tmp_path.glob("models.json-unreadable-*")
    assert aside.read_text() == content
    assert ModelList.load(path).note == ""
