from __future__ import annotations

import json
import os
from functools import partial

import pytest
from PIL import Image

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.image_history.store import INDEX, History
from tests.builders import control, request

red_kite = partial(request, prompt="a red kite", seed=7, steps=30,
                   controls=(control(shade=0, conditioning_scale=0.8),))


def test_a_result_is_written_with_its_request_thumbnail_and_index(tmp_path):
    history = History(tmp_path / "history")
    image = Image.new("RGB", (640, 320), (10, 200, 30))
    entry = history.add(image, red_kite())
    with Image.open(entry.image) as saved:
        assert saved.size == (640, 320)
        assert saved.getpixel((5, 5)) == (10, 200, 30)
        metadata = json.loads(saved.text["t2ia"])
    assert metadata["prompt"] == "a red kite"
    assert metadata["seed"] == 7
    assert metadata["controls"][0]["condition"] == "sketch"
    with Image.open(entry.thumbnail) as thumb:
        assert max(thumb.size) == 256
    assert [e.id for e in history.entries()] == [entry.id]
    assert history.entries()[0].conditions == ("sketch",)


def test_two_results_in_the_same_second_keep_both(tmp_path):
    history = History(tmp_path)
    first = history.add(Image.new("RGB", (8, 8)), red_kite(seed=1))
    second = history.add(Image.new("RGB", (8, 8)), red_kite(seed=1))
    assert first.image != second.image
    assert first.image.is_file()
    assert second.image.is_file()
    assert len(history.entries()) == 2


def test_a_corrupt_index_is_rebuilt_from_the_images(tmp_path):
    history = History(tmp_path)
    kept = [history.add(Image.new("RGB", (8, 8)), red_kite(seed=seed)).id for seed in (3, 4)]
    (tmp_path / INDEX).write_text("{not json\n")
    entries = history.entries()
    assert sorted(e.id for e in entries) == sorted(kept)
    assert {e.seed for e in entries} == {3, 4}
    json.loads((tmp_path / INDEX).read_text().splitlines()[0])  # rewritten, readable


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_clear_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(T2IAError, match="history folder"):
            History(tmp_path / "history").add(Image.new("RGB", (8, 8)), red_kite())
    finally:
        tmp_path.chmod(0o700)


def test_a_history_path_that_is_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "history"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(T2IAError, match="Could not save the result to the history folder"):
        History(blocker).add(Image.new("RGB", (8, 8)), red_kite())
