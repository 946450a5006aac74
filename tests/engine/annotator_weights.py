"""Random-weight stand-ins for the ``lllyasviel/Annotators`` files that controlnet_aux loads.

Each writer builds a detector network with controlnet_aux's own classes, exactly as its
``from_pretrained`` constructs it, seeds its initialisation and saves the state dict under the
real file name and in the layout that ``from_pretrained`` reads (OpenPose's files drop the first
key component, which ``open_pose.util.transfer`` adds back; Zoe's is wrapped in ``{"model": …}``).
So the detectors' real loading code runs on them, and only the numbers are random.

Nothing here reaches the network: the constructors are called with their pretrained switches off
(MiDaS builds its timm backbone with ``pretrained=False``, Zoe's "infer" config has
``use_pretrained_midas: false`` and loads the MiDaS code with ``torch.hub.load(source="local")``);
:func:`no_network` makes any attempt fail loudly instead of hanging.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import torch

ANNOTATOR_FILES: dict[str, tuple[str, ...]] = {
    "lineart": ("sk_model.pth", "sk_model2.pth"),
    "midas": ("dpt_hybrid-midas-501f0c75.pt",),
    "zoe": ("ZoeD_M12_N.pt",),
    "openpose": ("body_pose_model.pth", "hand_pose_model.pth", "facenet.pth"),
    "pidinet": ("table5_pidinet.pth",),
}


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Make every socket connection and name lookup raise, for the duration of the block."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(f"test tried to reach the network: {args[1:] or kwargs}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's CPU generator inside the block; the caller's random state is restored."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _save(state: Mapping[str, torch.Tensor] | dict, path: Path) -> Path:
    torch.save(state, path)
    return path


def lineart_network(seed: int) -> torch.nn.Module:
    """``lineart.Generator(3, 1, 3)``, as ``LineartDetector.from_pretrained`` builds both models."""
    from controlnet_aux.lineart import Generator

    with _seeded(seed):
        return Generator(3, 1, 3).eval()


def midas_network(seed: int) -> torch.nn.Module:
    """The DPT-Hybrid network of ``MiDaSInference(model_type="dpt_hybrid")``, without loading."""
    from controlnet_aux.midas.midas.dpt_depth import DPTDepthModel

    with _seeded(seed):
        model = DPTDepthModel(path=None, backbone="vitb_rn50_384", non_negative=True)
        # The head ends in a ReLU: lift the last convolution so that random weights give a
        # depth map with some range rather than all zeros (which normalises to NaN).
        head = model.scratch.output_conv
        torch.nn.init.constant_(head[4].bias, 0.5)
    return model.eval()


def zoe_network(seed: int) -> torch.nn.Module:
    """``ZoeDepth.build_from_config(get_config("zoedepth", "infer"))``, as ZoeDetector does."""
    from controlnet_aux.zoe.zoedepth.models.zoedepth.zoedepth_v1 import ZoeDepth
    from controlnet_aux.zoe.zoedepth.utils.config import get_config

    config = get_config("zoedepth", "infer")
    assert not config.get("use_pretrained_midas", True), "Zoe's infer config would download"
    with _seeded(seed):
        return ZoeDepth.build_from_config(config).eval()


def openpose_networks(seed: int) -> dict[str, torch.nn.Module]:
    """OpenPose's body, hand and face networks keyed by their file names."""
    from controlnet_aux.open_pose.face import FaceNet
    from controlnet_aux.open_pose.model import bodypose_model, handpose_model

    with _seeded(seed):
        return {"body_pose_model.pth": bodypose_model().eval(),
                "hand_pose_model.pth": handpose_model().eval(),
                "facenet.pth": FaceNet().eval()}


def _openpose_checkpoint(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The original checkpoints' key layout: ``open_pose.util.transfer`` maps ``model0.x.w``
    back from ``x.w`` (it drops the first component of each model key)."""
    state = {key.split(".", 1)[1]: value for key, value in model.state_dict().items()}
    assert len(state) == len(model.state_dict()), "OpenPose layer names must be unique"
    return state


def write_lineart(folder: Path, seed: int = 0) -> list[Path]:
    fine, coarse = ANNOTATOR_FILES["lineart"]
    # Different seeds: the coarse and the fine model must be told apart by their output.
    return [_save(lineart_network(seed).state_dict(), folder / fine),
            _save(lineart_network(seed + 1).state_dict(), folder / coarse)]


def write_midas(folder: Path, seed: int = 0) -> list[Path]:
    (name,) = ANNOTATOR_FILES["midas"]
    return [_save(midas_network(seed).state_dict(), folder / name)]


def write_zoe(folder: Path, seed: int = 0) -> list[Path]:
    (name,) = ANNOTATOR_FILES["zoe"]
    return [_save({"model": zoe_network(seed).state_dict()}, folder / name)]


def write_openpose(folder: Path, seed: int = 0) -> list[Path]:
    paths = []
    for name, model in openpose_networks(seed).items():
        state = model.state_dict() if name == "facenet.pth" else _openpose_checkpoint(model)
        paths.append(_save(state, folder / name))
    return paths


def pidinet_network(seed: int) -> torch.nn.Module:
    from controlnet_aux.pidi.model import pidinet

    with _seeded(seed):
        return pidinet().eval()


def write_pidinet(folder: Path, seed: int = 0) -> list[Path]:
    """PiDiNet's checkpoint keeps its weights under "state_dict" with DataParallel's prefix."""
    (name,) = ANNOTATOR_FILES["pidinet"]
    state = {f"module.{key}": value for key, value in pidinet_network(seed).state_dict().items()}
    return [_save({"state_dict": state}, folder / name)]


WRITERS: dict[str, Callable[[Path, int], list[Path]]] = {
    "lineart": write_lineart, "midas": write_midas, "zoe": write_zoe, "openpose": write_openpose,
    "pidinet": write_pidinet,
}


def write_annotators(folder: Path, detectors: tuple[str, ...] = tuple(WRITERS),
                     seed: int = 0) -> Path:
    """Write the random-weight files of ``detectors`` into ``folder``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with no_network():
        for name in detectors:
            WRITERS[name](folder, seed)
    return folder
