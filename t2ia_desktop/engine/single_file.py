"""Single-file checkpoints (.safetensors in the original Stable Diffusion key layout).

diffusers' ``from_single_file`` builds the pipeline from a folder of diffusers configurations
(``config=``) and converts the file's weights into it. Given a local folder it never touches the
network; without one it would fetch the base repository's configs, so here the folder is always
resolved first: the one recorded with the model, else the base repository's configs from the
models folder or the Hugging Face cache, else (online only) those few MB of configs fetched once.
Pickle checkpoints are refused before anything is read.
"""

from __future__ import annotations

import logging
from pathlib import Path

from t2ia_desktop.core.errors import BadInput, ModelUnavailable
from t2ia_desktop.core.generation.checkpoints import (
    BASE_CONFIG_REPOS,
    FAMILY_NAMES,
    PICKLE_SUFFIXES,
    SAFETENSORS_SUFFIX,
    ModelList,
    checkpoint_family,
    downloaded,
    refuse_pickle,
)
from t2ia_desktop.engine.model_store import hub

log = logging.getLogger(__name__)

#: The small files of a base repository that ``config=`` needs: no weights.
CONFIG_PATTERNS = ["model_index.json", "*/config.json", "scheduler/*.json", "tokenizer*/*"]


def is_checkpoint_file(reference: str) -> bool:
    """Whether ``reference`` names a single-file checkpoint (safetensors or a refused pickle)."""
    return Path(reference).suffix.lower() in (SAFETENSORS_SUFFIX, *PICKLE_SUFFIXES)


def _is_config_folder(folder: Path) -> bool:
    return (folder / "model_index.json").is_file() and (folder / "unet" / "config.json").is_file()


def config_folder(family: str, given: str | None = None) -> Path:
    """A local folder of diffusers configs for ``family``; fetches the configs only when the
    hub can be reached, and says what to do otherwise."""
    if given:
        folder = Path(given).expanduser()
        if not _is_config_folder(folder):
            raise BadInput(f"{folder} is not a diffusers model folder (model_index.json and "
                           "unet/config.json are needed) to build the checkpoint with.")
        return folder
    repo = BASE_CONFIG_REPOS[family]
    for found in (downloaded(repo), _cached_configs(repo, local_only=True)):
        if found is not None and _is_config_folder(found):
            return found
    if not hub.hub_reachable():
        raise ModelUnavailable(
            f"A single-file {FAMILY_NAMES[family]} checkpoint needs the configuration files of "
            f"{repo} (a few MB, no weights) once, and they are not on this machine "
            f"({'offline mode' if hub.offline() else 'the hub cannot be reached'}). Connect to "
            f"the internet once, or download {repo} in Models → Manage models."
        )
    found = _cached_configs(repo, local_only=False)
    if found is None or not _is_config_folder(found):
        raise ModelUnavailable(f"Could not fetch the configuration files of {repo}.")
    return found


def _cached_configs(repo: str, local_only: bool) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo, allow_patterns=CONFIG_PATTERNS,
                                      local_files_only=local_only))
    except Exception as error:
        if not local_only:
            raise ModelUnavailable(
                f"Could not fetch the configuration files of {repo}: "
                f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
            ) from None
        return None


def load_single_file(path: str | Path, family: str, dtype, config: str | None = None):
    """The base pipeline of ``family`` from the checkpoint at ``path``.

    ``config`` is a diffusers folder to build it with; by default the one recorded for this
    file in the model list, else the base repository's configs (see :func:`config_folder`).
    """
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    path = Path(path).expanduser()
    refuse_pickle(path)
    if not path.is_file():
        raise BadInput(f"The checkpoint {path} does not exist (moved or deleted?). Add it again "
                       "in Models → Manage models.")
    found = checkpoint_family(path)
    if found != family:
        raise BadInput(f"{path.name} is an {FAMILY_NAMES[found]} checkpoint, not "
                       f"{FAMILY_NAMES[family]}; choose family {found}.")
    folder = config_folder(family, config or ModelList.load().config_for(str(path.resolve())))
    cls = StableDiffusionXLPipeline if family == "sdxl" else StableDiffusionPipeline
    try:
        if family == "sdxl":
            extra = {"text_encoder_2": _open_clip_text_encoder(path, folder, dtype)}
        else:
            extra = {"safety_checker": None, "requires_safety_checker": False}
        return cls.from_single_file(str(path), config=str(folder), torch_dtype=dtype,
                                    local_files_only=True, **extra)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as error:
        text = str(error).strip().splitlines()
        raise BadInput(
            f"{path.name} could not be loaded as an {FAMILY_NAMES[family]} checkpoint "
            f"({text[0] if text else type(error).__name__}). It may be damaged, or of a model "
            "whose layout differs from the base's configuration."
        ) from None


OPEN_CLIP_PREFIX = "conditioner.embedders.1.model."


def _open_clip_text_encoder(path: Path, folder: Path, dtype):
    """SDXL's second text encoder (OpenCLIP), converted from the file's own keys.

    diffusers picks the converter by comparing widths with the first encoder's keys, which goes
    wrong when both encoders are equally wide (small custom models); reading only the
    ``conditioner.embedders.1`` weights is right for every SDXL checkpoint.
    """
    from accelerate import init_empty_weights
    from diffusers.loaders.single_file_utils import convert_open_clip_checkpoint
    from safetensors import safe_open
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    with safe_open(str(path), framework="pt") as file:
        stored = file.keys()  # a safe_open file is no mapping: it lists its keys
        names = [key for key in stored if key.startswith(OPEN_CLIP_PREFIX)]
        state = {key: file.get_tensor(key) for key in names}
    config = CLIPTextConfig.from_pretrained(folder / "text_encoder_2", local_files_only=True)
    with init_empty_weights():
        model = CLIPTextModelWithProjection(config)
    converted = convert_open_clip_checkpoint(model, state, prefix=OPEN_CLIP_PREFIX)
    if not hasattr(model, "text_model"):  # transformers' flattened layout
        converted = {k.removeprefix("text_model."): v for k, v in converted.items()}
    model.load_state_dict(converted, strict=True, assign=True)
    return model.to(dtype).eval()
