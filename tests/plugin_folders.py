"""Writing condition plugins into temporary plugin folders, for the plugin tests."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SKETCH_SDXL = "TencentARC/t2i-adapter-sketch-sdxl-1.0"

GOOD_CODE = '''
from PIL import Image, ImageOps

from t2ia_desktop.plugin_api import ConditionType, ParamSpec, sdxl_adapter


def detect(image, params):
    grey = ImageOps.invert(image.convert("L"))
    return grey.point(lambda v: 255 if v >= params["cut"] else 0)


def register():
    return ConditionType(
        "{condition}", "{label}", "Inverted and cut",
        {{"sdxl": sdxl_adapter("sketch")}},
        detector=detect,
        params=(ParamSpec("cut", "int", 128, "Cut", 0, 255),
                ParamSpec("ink", "colour", "#ff0000", "Ink"),
                ParamSpec("soft", "bool", False, "Soft"),
                ParamSpec("shape", "choice", "round", "Shape", choices=("round", "square"))),
    )
'''


def manifest(plugin_id: str, entry: str = "code:register", api: int = 1, **extra: str) -> str:
    lines = [f'id = "{plugin_id}"', f'name = "{plugin_id.title()}"', 'version = "0.1"',
             f"api = {api}", f'entry = "{entry}"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def write_plugin(root: Path, folder: str, code: str, manifest_text: str | None = None,
                 module: str = "code") -> Path:
    """``root/folder`` with ``plugin.toml`` and ``module.py``; returns the plugin folder."""
    plugin = root / folder
    plugin.mkdir(parents=True, exist_ok=True)
    (plugin / "plugin.toml").write_text(
        manifest_text if manifest_text is not None else manifest(folder), encoding="utf-8")
    (plugin / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return plugin


def good_plugin(root: Path, folder: str = "good", condition: str = "cut-lines",
                label: str = "Cut lines") -> Path:
    return write_plugin(root, folder, GOOD_CODE.format(condition=condition, label=label))


# -- plugins that hang: they wait on RELEASE, which the ``hung`` fixture sets at the end --------

RELEASE = threading.Event()
ENTERED = threading.Event()


def hang() -> None:
    """What a hung plugin does; returns only when the test lets it go."""
    ENTERED.set()
    RELEASE.wait()


HANGING_REGISTER = """
from tests.plugin_folders import hang

def register():
    hang()
"""


@pytest.fixture
def hung() -> Iterator[threading.Event]:
    """Lets hung plugin code go when the test ends and waits for its threads: none is left."""
    RELEASE.clear()
    ENTERED.clear()
    yield ENTERED
    RELEASE.set()
    for thread in threading.enumerate():
        if thread.name.startswith("t2ia-plugin"):
            thread.join(10)
