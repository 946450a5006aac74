"""The public API for condition plugins (versioned: see :data:`API_VERSION`).

A condition plugin is a folder in the plugins folder holding a ``plugin.toml`` manifest and its
Python code. Its entry object is a :class:`ConditionType`, a list of them, or a function
returning either; the built-in conditions are described with the same types. Guide:
``plugins/README.md`` ("Writing a condition plugin").

Everything a plugin needs is imported from here; the rest of ``t2ia_desktop`` may change
between versions. Keep the top of a plugin module light (no torch, no controlnet_aux): it is
imported when the app starts, while detectors run later on the detector thread, where heavy
imports belong (inside the detector function).

Versions: a manifest's ``api`` names the major version it needs (:data:`API_VERSION`); within a
major version features are only added, as optional fields, and :data:`API_MINOR` counts them:

- 1.0: condition types, detectors, parameter specs, weight files, adapters per family.
- 1.1: ``ConditionType(preview=...)``, an optional :class:`Preview` for the Preview dock. A
  plugin that uses it still says ``api = 1``; an app older than 1.1 refuses the keyword, so
  check ``getattr(plugin_api, "API_MINOR", 0) >= 1`` before passing it if the plugin must
  load there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from PIL import Image

from t2ia_desktop.core.conditions.plugin_manifest import API_VERSION, ENTRY_POINT_GROUP
from t2ia_desktop.core.conditions.registry import FAMILIES, ConditionType, ParamSpec
from t2ia_desktop.core.errors import BadInput, ModelUnavailable, T2IAError

__all__ = [
    "API_MINOR",
    "API_VERSION",
    "ENTRY_POINT_GROUP",
    "FAMILIES",
    "BadInput",
    "ConditionType",
    "Detector",
    "ModelUnavailable",
    "ParamSpec",
    "Preview",
    "T2IAError",
    "run_annotator",
    "sd15_adapter",
    "sdxl_adapter",
]


API_MINOR = 1
"""Optional features added to API :data:`API_VERSION` so far (see the module's docstring)."""


class Preview(Protocol):
    """Draws a condition's control image for the Preview dock (optional, API 1.1).

    ``control_image`` is the layer's control image (RGB, shrunk to at most 512 pixels on its
    longest side: a preview is small), ``params`` the layer's parameters. Return any PIL image
    (a coloured overlay, a legend…); it is shown in place of the raw control image, while the
    adapter still gets the control image itself. It runs on the UI thread each time the control
    image or a parameter changes, so keep it quick (numpy, Pillow). An exception is shown as
    that layer's preview error and never touches detection or generation.
    """

    def __call__(self, control_image: Image.Image, params: Mapping[str, Any]) -> Image.Image: ...


class Detector(Protocol):
    """Turns a picture into a control image.

    ``image`` is a copy of the source layer (usually RGBA: transparent where nothing is painted);
    ``params`` holds every parameter of the condition, checked against its :class:`ParamSpec`\\ s.
    Return the control image at the picture's size: "L" for lines and edges, "RGB" for maps
    (anything else is refused as this layer's error). Raise :class:`BadInput` with a sentence
    for the artist when the input cannot be used; any other exception, ``SystemExit`` included,
    is shown as this layer's error, naming the plugin. It runs on a helper thread and must
    return within 60 s; one that does not is left running (a thread cannot be stopped) while
    the other layers go on. What it prints goes to the app's log.
    """

    def __call__(self, image: Image.Image, params: Mapping[str, Any]) -> Image.Image: ...


def sdxl_adapter(kind: str) -> str:
    """The hub id of TencentARC's SDXL adapter for ``kind`` ("sketch", "canny", "lineart"…)."""
    return f"TencentARC/t2i-adapter-{kind}-sdxl-1.0"


def sd15_adapter(name: str) -> str:
    """The hub id of a TencentARC SD1.x adapter, e.g. ``sd15_adapter("sketch_sd15v2")``."""
    return f"TencentARC/t2iadapter_{name}"


def run_annotator(name: str, loader_name: str, files: tuple[str, ...], image: Image.Image,
                  params: Mapping[str, Any], mode: str = "L", **options: Any) -> Image.Image:
    """Run the controlnet_aux detector class ``loader_name`` (e.g. ``"HEDdetector"``) whose
    weights are ``files`` in ``lllyasviel/Annotators``.

    Call it from a detector only (it imports torch). The weights are found like the built-in
    detectors' (the annotators folder chosen in Settings or by ``T2IA_ANNOTATORS``, the app's
    annotators folder, the Hugging Face cache), each
    file is read with ``torch.load(weights_only=True)`` before controlnet_aux sees it, the
    network is loaded once and reused; missing files raise an error saying how to get them.
    ``params["detect_resolution"]`` (default 512) sets the working size; ``options`` go to the
    detector's call. List the same ``files`` as the condition's ``weight_files``.
    """
    from t2ia_desktop.engine.detectors import run_annotator as run

    return run(name, loader_name, files, image, params, mode, **options)
