"""The queue file: pending requests written atomically with their images, read back whole;
damaged files and files from newer versions are refused with a clear message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.queue_file import FORMAT_VERSION, IMAGES, QUEUE_FILE, QueueStore
from t2ia_desktop.core.generation.request import ControlSpec, GenerationRequest
from tests.builders import request


def _control(seed: int = 3, condition: str = "sketch") -> ControlSpec:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 255, (48, 64), dtype=np.uint8), "L")
    return ControlSpec(condition, image, None, 0.7)


def lighthouse(seed: int = 1, controls: tuple[ControlSpec, ...] = ()) -> GenerationRequest:
    """A queued request told apart by its seed and its prompt, "a lighthouse <seed>"."""
    return request(prompt=f"a lighthouse {seed}", seed=seed, steps=6, guidance_scale=5.5,
                   adapter_conditioning_factor=0.5, negative_prompt="fog", controls=controls)


@pytest.fixture
def store(tmp_path) -> QueueStore:
    return QueueStore(tmp_path / "queue")


def test_pending_requests_come_back_whole_in_order(store):
    sketch, canny = _control(1), _control(2, "canny")
    requests = [lighthouse(seed, (sketch, canny)) for seed in (10, 11, 12)]
    store.write([(requests[0], "running"), (requests[1], "queued"), (requests[2], "queued")],
                paused=True)
    saved = store.read()
    assert saved.paused
    assert saved.running == 1
    assert saved.requests == requests  # every field but the images compares
    for back in saved.requests:
        assert [c.condition for c in back.controls] == ["sketch", "canny"]
        assert back.controls[0].image.mode == "L"
        assert np.array_equal(np.array(back.controls[0].image), np.array(sketch.image))
        assert np.array_equal(np.array(back.controls[1].image), np.array(canny.image))
    # a batch shares its control images: one PNG per distinct image
    assert len(list((store.folder / IMAGES).glob("*.png"))) == 2
    assert "3 jobs waiting since" in saved.describe()
    assert "a lighthouse 10" in saved.describe()
    assert not list(store.folder.glob(".*.tmp"))  # atomic writes leave no temporary file


def test_images_no_longer_named_are_removed_and_an_empty_queue_removes_the_file(store):
    first, second = _control(1), _control(2)
    store.write([(lighthouse(1, (first,)), "queued"), (lighthouse(2, (second,)), "queued")])
    store.write([(lighthouse(2, (second,)), "queued")])
    names = [path.name for path in (store.folder / IMAGES).glob("*.png")]
    assert len(names) == 1
    assert names[0].startswith(second.image_hash())
    store.write([])
    assert not store.exists()
    assert store.read() is None
    assert not (store.folder / IMAGES).exists()


def test_a_file_from_a_newer_version_is_refused_and_can_be_set_aside(store):
    store.write([(lighthouse(1, (_control(),)), "queued")])
    data = json.loads(store.path.read_text())
    data["format_version"] = FORMAT_VERSION + 1
    data["app_version"] = "9.0"
    store.path.write_text(json.dumps(data))
    with pytest.raises(BadInput, match="newer version of t2ia desktop 9.0.*update the app"):
        store.read()
    aside = store.set_aside()
    assert not store.folder.exists()
    assert (aside / QUEUE_FILE).is_file()
    assert aside.name.startswith("queue-unreadable-")
    assert len(list((aside / IMAGES).glob("*.png"))) == 1  # kept whole, images too
    assert store.read() is None


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda store: store.path.write_bytes(b'{"format": "t2ia-queue", "jobs": ['),
     "not valid JSON"),
    (lambda store: store.path.write_text('{"format": "something else"}'),
     "not a t2ia queue file"),
    (lambda store: [p.unlink() for p in (store.folder / IMAGES).glob("*.png")], "missing"),
    (lambda store: [p.write_bytes(b"not a png") for p in (store.folder / IMAGES).glob("*.png")],
     "damaged"),
    (lambda store: store.path.write_text(store.path.read_text().replace('"steps": 6',
                                                                        '"steps": "six"')),
     "steps is \"six\", not a int"),
    (lambda store: store.path.write_text(store.path.read_text().replace('"steps": 6',
                                                                        '"steps": 0')),
     "not valid .*steps must be between 1 and 500"),
    (lambda store: store.path.write_text(store.path.read_text().replace(
        '"image": "images/', '"image": "../../etc/')), "not an image of the queue"),
])
def test_a_damaged_file_says_why(store, damage, reason):
    store.write([(lighthouse(1, (_control(),)), "queued")])
    damage(store)
    with pytest.raises(BadInput, match=f"The saved queue .* cannot be restored: .*{reason}"):
        store.read()


def test_a_folder_that_cannot_be_written_is_told(tmp_path):
    (tmp_path / "a-file").write_text("in the way")
    store = QueueStore(tmp_path / "a-file" / "queue")
    with pytest.raises(BadInput, match="Could not save the queue .* Free some space"):
        store.write([(lighthouse(1), "queued")])
