"""Fixtures of the command-line tests: files a ``generate`` command names, and an engine that
must not be reached."""

from __future__ import annotations

import json
import sys
import types

import pytest
from PIL import Image


class _EngineForbidden(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import machinery probes these
            raise AttributeError(name)
        raise AssertionError(f"{self.__name__}.{name} was used: bad input must fail before "
                             "any detector or model loads")


@pytest.fixture
def no_engine(monkeypatch):
    """Make any use of the torch side (detectors, pipelines, demo model) fail the test."""
    for name in ("t2ia_desktop.engine.detectors", "t2ia_desktop.engine.generate",
                 "t2ia_desktop.engine.pipelines", "t2ia_desktop.engine.demo.model"):
        monkeypatch.setitem(sys.modules, name, _EngineForbidden(name))


@pytest.fixture
def files(tmp_path):
    """A good sketch, a folder that looks like an SDXL pipeline, and an output path."""
    sketch = tmp_path / "sketch.png"
    Image.new("L", (64, 64), 0).save(sketch)
    model = tmp_path / "model"
    model.mkdir()
    index = {"_class_name": "StableDiffusionXLPipeline"}
    (model / "model_index.json").write_text(json.dumps(index))
    return types.SimpleNamespace(sketch=sketch, model=model, out=tmp_path / "out.png",
                                 tmp=tmp_path)


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory):
    """The tiny SDXL demo pipeline (random weights), written once for the CLI tests that paint."""
    from t2ia_desktop.engine.demo.model import write_demo_model

    return write_demo_model(tmp_path_factory.mktemp("models") / "sdxl", "sdxl")
