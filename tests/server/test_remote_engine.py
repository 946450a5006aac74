"""The remote engine against a real Ray Serve (tests/server/conftest.py: two CPU replicas on
the demo model): the local engine's pixels and events, cancel within one step, refusals, and
replicas that run side by side, die or go away. The tests that kill parts run last."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.errors import BadInput, Cancelled
from t2ia_desktop.core.generation.request import ControlSpec
from tests.builders import request

pytestmark = [pytest.mark.slow, pytest.mark.server]


@pytest.fixture(scope="module")
def local_engine(tmp_path_factory):
    from t2ia_desktop.engine.generate import Engine

    return Engine(demo_root=tmp_path_factory.mktemp("local-demo"))


@pytest.fixture
def remote(server):
    from t2ia_desktop.remote.client import RemoteEngine

    return RemoteEngine(server.url, server.token)


def _sketch() -> Image.Image:
    sketch = Image.new("L", (64, 64), 0)
    sketch.paste(255, (16, 16, 48, 48))
    return sketch


def _photo() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), "RGB")


def _job(model, mode: str, **fields):
    controls = (ControlSpec("sketch", _sketch(), conditioning_scale=0.8, end=0.5),)
    if mode == "img2img":
        fields.update(init_image=_photo(), strength=0.6)
    elif mode == "inpaint":
        mask = Image.new("L", (64, 64), 0)
        mask.paste(255, (0, 0, 32, 64))
        fields.update(init_image=_photo(), mask_image=mask, strength=0.9)
    return request(model, seed=3, steps=4, controls=controls, **fields)


def _events(log: list):
    """The engine callbacks, recording ("step", s, t), ("phase", p) and ("preview", pixels)."""
    return {
        "on_step": lambda step, total: log.append(("step", step, total)),
        "on_phase": lambda phase, fraction: log.append(("phase", phase)),
        "on_preview": lambda render: log.append(("preview", np.array(render()).tobytes())),
    }


def _board_jobs(server) -> list[dict]:
    board = server.ray.get_actor("t2ia-board", namespace="serve")
    return server.ray.get(board.jobs.remote())


def _wait_for(predicate, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout:.0f} s")


@pytest.mark.parametrize("mode", ["txt2img", "img2img", "inpaint"])
def test_remote_picture_and_events_equal_the_local_engine(remote, local_engine, sdxl_demo,
                                                          mode, one_thread):
    job = _job(sdxl_demo, mode)
    remote_log: list = []
    local_log: list = []
    remote_image = remote.generate(job, **_events(remote_log))
    local_image = local_engine.generate(job, **_events(local_log))
    assert np.array_equal(np.array(remote_image), np.array(local_image))

    def from_denoising(log):  # loading phases depend on what each side had loaded
        return log[log.index(("phase", "denoising")):]

    assert from_denoising(remote_log) == from_denoising(local_log)
    steps = [event[1] for event in remote_log if event[0] == "step"]
    assert steps == sorted(steps)
    assert steps[-1] == steps[0] + len(steps) - 1
    assert sum(event[0] == "preview" for event in remote_log) >= 1


def test_server_info_lists_the_replicas_and_their_devices(remote):
    info = remote.server_info()
    assert len(info.replicas) == 2
    assert info.devices == ["CPU", "CPU"]
    assert info.summary() == "2 replicas: CPU, CPU"


def test_cancel_stops_the_replica_within_one_step(server, remote):
    seen = []

    def stop_after_two() -> bool:
        return len(seen) >= 3  # steps 0, 1, 2 reported

    with pytest.raises(Cancelled):
        remote.generate(request("demo", steps=200, seed=11),
                        on_step=lambda step, total: seen.append(step),
                        should_stop=stop_after_two)
    record = _wait_for(lambda: [r for r in _board_jobs(server) if r["steps"] < 200
                                and r.get("ended") == "cancelled"], "cancelled job")[-1]
    assert record["steps_after_stop"] <= 1
    assert record["steps"] <= len(seen) + 2


def test_a_client_that_goes_away_cancels_its_job(server, remote):
    class GoneAway(Exception):
        pass

    def leave(step, total):
        if step == 2:
            raise GoneAway

    before = len(_board_jobs(server))
    with pytest.raises(GoneAway):
        remote.generate(request("demo", steps=200, seed=12), on_step=leave)
    record = _wait_for(lambda: _board_jobs(server)[before:], "ended job")[-1]
    assert record["ended"] == "cancelled"
    assert record["steps_after_stop"] <= 1


def test_a_wrong_token_is_refused_clearly(server):
    from t2ia_desktop.remote.client import RemoteEngine
    from t2ia_desktop.remote.errors import TokenRefused

    wrong = RemoteEngine(server.url, "not-the-token-0123456789")
    with pytest.raises(TokenRefused, match="refused the token"):
        wrong.generate(request("demo"))
    with pytest.raises(TokenRefused, match="refused the token"):
        wrong.server_info()
    call = urllib.request.Request(server.url + "/v1/info")  # no token at all
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(call, timeout=10)
    assert refused.value.code == 401
    assert refused.value.read() == b""  # no detail


def _raw_job(server, job: dict, payloads: list[bytes] = ()):
    """Send a job message as any client could; the server's error event and close code."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = server.url.replace("http", "ws") + "/v1/jobs"
    with connect(url, additional_headers={"Authorization": f"Bearer {server.token}"}) as ws:
        ws.send(json.dumps(job))
        for payload in payloads:
            ws.send(payload)
        event = json.loads(ws.recv(timeout=30))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
        return event, ws.close_code


def test_malformed_oversized_and_out_of_range_jobs_get_one_clear_line(server, remote):
    from t2ia_desktop.remote.errors import ServerError
    from t2ia_desktop.remote.wire import encode_request

    data, _ = encode_request(request("demo"))
    event, code = _raw_job(server, {"type": "job", "protocol": 1,
                                    "request": {**data, "steps": 0}, "images": []})
    assert (event["status"], code) == (422, 4422)
    assert event["message"] == "steps must be between 1 and 500, not 0"  # as the CLI says
    event, code = _raw_job(server, {"type": "job", "protocol": 1,
                                    "request": {**data, "seed": "five"}, "images": []})
    assert (event["status"], code) == (400, 4400)
    assert "seed" in event["message"]
    assert "\n" not in event["message"]
    event, code = _raw_job(server, {"type": "job", "protocol": 1, "request": data,
                                    "images": [{"name": "image-0", "bytes": 2**30}]})
    assert (event["status"], code) == (413, 4413)
    assert "at most 64 MiB" in event["message"]
    with_control, _ = encode_request(request("demo", controls=(ControlSpec("sketch",
                                                                         _sketch()),)))
    event, code = _raw_job(server, {"type": "job", "protocol": 1, "request": with_control,
                                    "images": [{"name": "image-0", "bytes": 4}]}, [b"GIF8"])
    assert (event["status"], code) == (400, 4400)
    assert event["message"] == "malformed request: the image of control 1 of the request is " \
                               "not a PNG"
    event, code = _raw_job(server, {"type": "job", "protocol": 1, "request": with_control,
                                    "images": [{"name": "image-0", "bytes": 9}]}, ["not bytes"])
    assert (event["status"], code) == (400, 4400)
    assert event["message"] == "malformed request: image-0's bytes are missing"
    with pytest.raises(ServerError, match="not on this server") as refused:
        remote.generate(request("/etc"))  # a path outside the server's model folders
    assert refused.value.status == 403
    with pytest.raises(BadInput, match="unknown condition 'no-such'"):
        remote.generate(request("demo", controls=(ControlSpec("no-such", _sketch()),)))


def test_two_replicas_run_two_jobs_at_once(server):
    from t2ia_desktop.remote.client import RemoteEngine

    clients = [RemoteEngine(server.url, server.token) for _ in range(2)]
    first_steps = threading.Barrier(2, timeout=120)
    errors = []

    def run(client, seed):
        def step(number, total):
            if number == 1:
                first_steps.wait()  # both jobs are past their first step at the same time
        try:
            client.generate(request("demo", steps=6, seed=seed), on_step=step)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(client, seed))
               for seed, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert errors == []
    assert clients[0].last_replica != clients[1].last_replica


def test_a_replica_killed_mid_job_is_retried_on_another(server, remote, local_engine, sdxl_demo,
                                                        one_thread):
    job = request(sdxl_demo, steps=40, seed=21)
    killed = []

    def kill_at_step_two(step, total):
        if step == 2 and not killed:
            killed.append(remote.last_replica)
            server.ray.kill(server.ray.get_actor(remote.last_replica, namespace="serve"),
                            no_restart=True)

    image = remote.generate(job, on_step=kill_at_step_two)
    assert killed
    assert remote.last_replica != killed[0]
    assert np.array_equal(np.array(image), np.array(local_engine.generate(job)))
    assert remote.generate(request("demo", seed=22)).size == (64, 64)  # the queue goes on


def test_a_stopped_server_fails_clearly_and_the_next_job_runs_when_it_is_back(server, remote):
    from t2ia_desktop.remote.errors import ServerUnreachable

    proxies = [name for name in server.ray.util.list_named_actors(all_namespaces=True)
               if name["name"].startswith("SERVE_PROXY_ACTOR")]
    assert proxies
    for proxy in proxies:
        server.ray.kill(server.ray.get_actor(proxy["name"], namespace=proxy["namespace"]))

    def refused():
        try:
            remote.generate(request("demo", seed=31))
        except ServerUnreachable as error:
            return error
        return None

    error = _wait_for(refused, "refused connection", timeout=30)
    assert f"Cannot reach the server at {server.url}" in str(error)
    assert "once it is back" in str(error)

    def back():
        try:
            return remote.generate(request("demo", seed=32))
        except ServerUnreachable:
            return None

    assert _wait_for(back, "server back", timeout=120).size == (64, 64)
