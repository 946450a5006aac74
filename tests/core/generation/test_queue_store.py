"""The queue file: pending requests written atomically with their images, read back whole;
damaged files and files from newer versions are refused with a clear message."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation import queue_file
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


def _jobs_json(store: QueueStore) -> dict:
    return json.loads(store.path.read_text())


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda job: job["request"].update(prompt=5), "prompt is 5, not a str"),
    (lambda job: job["request"].update(model=["sdxl"]), "model is a list, not a str"),
    (lambda job: job["request"].update(controls={"a": 1}), "controls .* not a list"),
    (lambda job: job["request"]["controls"].append(7), "control 2 .* not an object"),
    (lambda job: job["request"].update(guidance_scale=float("nan")), "not a finite number"),
    (lambda job: job["request"].update(guidance_scale=10**400), "not a finite number"),
    (lambda job: job["request"].update(seed=10**30), "seed must be between"),
    (lambda job: job["request"]["controls"][0].update(image="images/gone.png"),
     "not an image of the queue"),
    (lambda job: job.update(request="a lighthouse"), "not an object"),
    (lambda job: job.clear(), "not an object"),
])
def test_one_bad_job_is_left_out_alone_and_named(store, damage, reason):
    store.write([(lighthouse(seed, (_control(seed),)), "queued") for seed in (1, 2, 3)])
    data = _jobs_json(store)
    damage(data["jobs"][1])
    store.path.write_text(json.dumps(data))
    saved = store.read()
    assert [r.seed for r in saved.requests] == [1, 3]
    (skipped,) = saved.skipped
    assert skipped.startswith("job 2: ")
    assert re.search(reason, skipped), skipped
    assert "1 job could not be read and is left out: job 2" in saved.describe()
    assert "2 jobs waiting" in saved.describe()


def test_a_job_that_is_not_an_object_is_left_out(store):
    store.write([(lighthouse(1), "queued")])
    data = _jobs_json(store)
    data["jobs"] = [5, None, "x", [], *data["jobs"]]
    store.path.write_text(json.dumps(data))
    saved = store.read()
    assert len(saved.requests) == 1
    assert [s.split(":")[0] for s in saved.skipped] == ["job 1", "job 2", "job 3", "job 4"]


def test_more_jobs_than_the_limit_are_read_up_to_it(store, monkeypatch):
    monkeypatch.setattr(queue_file, "MAX_JOBS", 3)
    store.write([(lighthouse(seed), "queued") for seed in range(5)])
    data = _jobs_json(store)
    assert len(data["jobs"]) == 3  # written up to the limit too
    data["jobs"] += data["jobs"][:2]
    store.path.write_text(json.dumps(data))
    saved = store.read()
    assert [r.seed for r in saved.requests] == [0, 1, 2]
    assert saved.skipped == ("jobs 4 to 5: more than 3 jobs",)


@pytest.mark.parametrize("saved_at", ["yesterday", None, float("nan"), 1e300, -5, 10**400, [1]])
def test_a_bad_time_of_saving_is_not_known_and_nothing_more(store, saved_at):
    store.write([(lighthouse(1), "queued")])
    data = _jobs_json(store)
    data["saved_at"] = saved_at
    store.path.write_text(json.dumps(data))
    saved = store.read()
    assert saved.saved_at == 0.0
    assert saved.describe().startswith("1 job waiting: a lighthouse 1")


@pytest.mark.parametrize(("content", "reason"), [
    (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
    (b'{"format": "t2ia-queue", "format_version": 1, "jobs": ' + b"[" * 20 + b"]" * 20 + b"}",
     "nests deeper"),
    (b"\xff\xfe", "not UTF-8"),
    (b'{"format": "t2ia-queue", "format_version": 1, "jobs": 5}', "no list of jobs"),
    (b'{"format": "t2ia-queue", "format_version": 1, "jobs": [1, 2]}', "none of its jobs"),
])
def test_a_queue_file_damaged_as_a_whole_is_refused_whole(store, content, reason):
    store.folder.mkdir()
    store.path.write_bytes(content)
    with pytest.raises(BadInput, match=f"cannot be restored: .*{reason}"):
        store.read()
