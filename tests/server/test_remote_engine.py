"""The remote engine against a real Ray Serve: same pixels as the local engine, the events in
order, cancel, refusals, and replicas that come and go."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_remote_picture_equals_the_local_engine_with_adapters(remote, local_engine, sdxl_demo):
    from PIL import Image

    sketch = Image.new("L", (64, 64), 0)
    sketch.paste(255, (16, 16, 48, 48))
    job = request(sdxl_demo, seed=3, steps=4,
                  controls=(ControlSpec("sketch", sketch, conditioning_scale=0.8, end=0.5),))
    phases, steps = [], []
    remote_image = remote.generate(job, on_step=lambda s, t: steps.append((s, t)),
                                   on_phase=lambda p, f: phases.append(p))
    local_image = local_engine.generate(job)
    assert np.array_equal(np.array(remote_image), np.array(local_image))
    assert steps == [(i, 4) for i in range(5)]
    assert "denoising" in phases
