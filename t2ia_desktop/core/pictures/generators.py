"""Generation settings written by other generators, as each documents or writes them.

- ComfyUI: ``prompt``, the API graph (node id → ``class_type`` and ``inputs``; a link is
  ``[node id, output]``): the KSampler's seed, steps, cfg, sampler_name and scheduler, the
  CLIPTextEncode texts its positive and negative inputs lead to, the latent's size and the
  checkpoint its model comes from (through LoRA loaders, which are named);
- InvokeAI: ``invokeai_metadata`` JSON (positive_prompt, negative_prompt, seed, steps,
  cfg_scale, scheduler, width, height, model);
- NovelAI: ``Comment`` JSON (prompt, uc, seed, steps, scale, sampler, noise_schedule, width,
  height), ``Software`` "NovelAI";
- Fooocus: ``parameters`` JSON (prompt, negative_prompt, seed, steps, guidance_scale, sampler,
  scheduler, resolution, base_model, styles, loras).

Each reader returns settings under the Generate panel's names (the scheduler as this app's id
when it offers one) and notes on what was not taken.
"""

from __future__ import annotations

import json
import re
from typing import Any

Settings = dict[str, Any]

COMFY_SAMPLERS = {"euler_ancestral": "euler-a", "euler": "euler", "dpmpp_2m": "dpmpp-2m",
                  "ddim": "ddim", "uni_pc": "unipc", "uni_pc_bh2": "unipc", "lcm": "lcm",
                  "tcd": "tcd"}
"""ComfyUI's (and Fooocus') sampler names → this app's scheduler ids."""
INVOKE_SCHEDULERS = {"euler_a": "euler-a", "euler": "euler", "dpmpp_2m": "dpmpp-2m",
                     "dpmpp_2m_k": "dpmpp-2m-karras", "ddim": "ddim", "unipc": "unipc",
                     "lcm": "lcm", "tcd": "tcd"}
NOVELAI_SAMPLERS = {"k_euler_ancestral": "euler-a", "k_euler": "euler",
                    "k_dpmpp_2m": "dpmpp-2m", "ddim": "ddim", "ddim_v3": "ddim"}
KARRAS = {"dpmpp-2m": "dpmpp-2m-karras"}
"""Schedulers this app offers with Karras noise levels too."""
SAMPLER_NODES = ("KSampler", "KSamplerAdvanced")


def scheduler(name: str, schedule: str, table: dict[str, str],
              notes: list[str]) -> str | None:
    """This app's scheduler id for sampler ``name`` with noise ``schedule`` (None, and a note,
    when it offers none)."""
    ours = table.get(name.strip().lower())
    if ours is None:
        notes.append(f"sampler “{name}” is not offered here")
        return None
    if schedule.strip().lower() == "karras":
        if ours in KARRAS:
            return KARRAS[ours]
        notes.append(f"the Karras schedule is not offered with {name} here (its own is used)")
    return ours


def comfyui(text: str) -> tuple[Settings, list[str]]:
    """Settings from ComfyUI's ``prompt`` graph; ValueError when it holds no sampler."""
    graph = json.loads(text)
    if not isinstance(graph, dict):
        raise ValueError("its ComfyUI prompt is not a graph")
    nodes = {str(key): node for key, node in graph.items() if isinstance(node, dict)}
    samplers = sorted((key for key, node in nodes.items()
                       if node.get("class_type") in SAMPLER_NODES), key=_node_order)
    if not samplers:
        kinds = sorted({str(node.get("class_type")) for node in nodes.values()})[:6]
        raise ValueError("its ComfyUI graph has no KSampler (it has " + ", ".join(kinds) + ")")
    inputs = nodes[samplers[0]].get("inputs", {})
    settings: Settings = {}
    notes: list[str] = []
    if len(samplers) > 1:
        notes.append(f"its graph has {len(samplers)} samplers; read the first (node "
                     f"{samplers[0]})")
    for ours, theirs in (("seed", "seed"), ("seed", "noise_seed"), ("steps", "steps"),
                         ("guidance_scale", "cfg")):
        value = _value(nodes, inputs.get(theirs))
        if isinstance(value, int | float) and not isinstance(value, bool):
            settings[ours] = int(value) if ours != "guidance_scale" else float(value)
    sampler, schedule = _value(nodes, inputs.get("sampler_name")), _value(
        nodes, inputs.get("scheduler"))
    if isinstance(sampler, str):
        found = scheduler(sampler, schedule if isinstance(schedule, str) else "",
                          COMFY_SAMPLERS, notes)
        if found:
            settings["scheduler"] = found
    for ours, theirs in (("prompt", "positive"), ("negative_prompt", "negative")):
        texts = _texts(nodes, inputs.get(theirs), set())
        if texts:
            settings[ours] = "\n".join(texts)
    _size_and_model(nodes, inputs, settings, notes)
    if inputs.get("denoise") not in (None, 1, 1.0):
        notes.append(f"denoise {inputs.get('denoise')} (an image-to-image run) not restored")
    return settings, notes


def _node_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (1 << 30, key)


def _value(nodes: dict[str, Any], value: Any, depth: int = 0) -> Any:
    """A literal input, or the value of a primitive node it links to."""
    if _is_link(value) and depth < 8:
        node = nodes.get(str(value[0]), {})
        for name in ("value", "seed", "noise_seed", "int", "float", "string", "text"):
            if name in node.get("inputs", {}):
                return _value(nodes, node["inputs"][name], depth + 1)
        return None
    return value


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def _texts(nodes: dict[str, Any], link: Any, seen: set[str]) -> list[str]:
    """The prompt texts a conditioning input leads to (through combine and concat nodes)."""
    if not _is_link(link) or str(link[0]) in seen or len(seen) > 64:
        return []
    key = str(link[0])
    seen.add(key)
    inputs = nodes.get(key, {}).get("inputs", {})
    texts = []
    for name in ("text", "text_g", "text_l", "prompt"):
        value = _value(nodes, inputs.get(name))
        if isinstance(value, str) and value.strip() and value.strip() not in texts:
            texts.append(value.strip())
    if not texts:
        for value in inputs.values():
            texts += [text for text in _texts(nodes, value, seen) if text not in texts]
    return texts


def _size_and_model(nodes: dict[str, Any], inputs: dict[str, Any], settings: Settings,
                    notes: list[str]) -> None:
    latent = nodes.get(str(inputs.get("latent_image", [""])[0]), {}).get("inputs", {}) \
        if _is_link(inputs.get("latent_image")) else {}
    width, height = _value(nodes, latent.get("width")), _value(nodes, latent.get("height"))
    if isinstance(width, int) and isinstance(height, int):
        settings["width"], settings["height"] = width, height
    link, loras = inputs.get("model"), []
    for _ in range(32):
        if not _is_link(link):
            break
        node = nodes.get(str(link[0]), {})
        node_inputs = node.get("inputs", {})
        if "lora_name" in node_inputs:
            loras.append(f"{node_inputs['lora_name']} ({node_inputs.get('strength_model', 1)})")
        if isinstance(node_inputs.get("ckpt_name"), str):
            settings["model"] = node_inputs["ckpt_name"]
            break
        link = node_inputs.get("model")
    if loras:
        notes.append("LoRAs in its graph not added: " + ", ".join(loras))


def invokeai(text: str) -> tuple[Settings, list[str]]:
    """Settings from InvokeAI's ``invokeai_metadata`` JSON."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("its InvokeAI metadata is not a JSON object")
    settings: Settings = {}
    notes: list[str] = []
    for ours, theirs in (("prompt", "positive_prompt"), ("negative_prompt", "negative_prompt")):
        if isinstance(data.get(theirs), str):
            settings[ours] = data[theirs]
    _numbers(data, settings, {"seed": "seed", "steps": "steps", "guidance_scale": "cfg_scale",
                              "width": "width", "height": "height"})
    if isinstance(data.get("scheduler"), str):
        name = data["scheduler"]
        found = scheduler(name.removesuffix("_k"), "karras" if name.endswith("_k") else "",
                          INVOKE_SCHEDULERS, notes)
        if found:
            settings["scheduler"] = found
    model = data.get("model")
    name = model.get("name") or model.get("model_name") if isinstance(model, dict) else model
    if isinstance(name, str):
        settings["model"] = name
    if data.get("loras"):
        notes.append(f"{len(data['loras'])} LoRA(s) in its metadata not added")
    return settings, notes


def novelai(text: str) -> tuple[Settings, list[str]]:
    """Settings from NovelAI's ``Comment`` JSON."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("its NovelAI comment is not a JSON object")
    settings: Settings = {}
    notes: list[str] = ["NovelAI's own models are not available here"]
    if isinstance(data.get("prompt"), str):
        settings["prompt"] = data["prompt"]
    if isinstance(data.get("uc"), str):
        settings["negative_prompt"] = data["uc"]
    _numbers(data, settings, {"seed": "seed", "steps": "steps", "guidance_scale": "scale",
                              "width": "width", "height": "height"})
    if isinstance(data.get("sampler"), str):
        found = scheduler(data["sampler"], str(data.get("noise_schedule", "")),
                          NOVELAI_SAMPLERS, notes)
        if found:
            settings["scheduler"] = found
    return settings, notes


def fooocus(text: str) -> tuple[Settings, list[str]]:
    """Settings from Fooocus' JSON ``parameters``."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("its Fooocus parameters are not a JSON object")
    settings: Settings = {}
    notes: list[str] = []
    for ours, theirs in (("prompt", "prompt"), ("negative_prompt", "negative_prompt")):
        if isinstance(data.get(theirs), str):
            settings[ours] = data[theirs]
    _numbers(data, settings, {"seed": "seed", "steps": "steps",
                              "guidance_scale": "guidance_scale"})
    size = re.fullmatch(r"\(?\s*(\d+)\s*[,x×]\s*(\d+)\s*\)?", str(data.get("resolution", "")))
    if size:
        settings["width"], settings["height"] = int(size[1]), int(size[2])
    if isinstance(data.get("sampler"), str):
        found = scheduler(data["sampler"], str(data.get("scheduler", "")), COMFY_SAMPLERS,
                          notes)
        if found:
            settings["scheduler"] = found
    if isinstance(data.get("base_model"), str):
        settings["model"] = data["base_model"]
    if data.get("styles") not in (None, "", "[]", []):
        notes.append(f"Fooocus styles {data['styles']} not applied (the prompt is yours alone)")
    if data.get("loras") not in (None, "", []):
        notes.append("LoRAs in its parameters not added")
    return settings, notes


def _numbers(data: dict[str, Any], settings: Settings, names: dict[str, str]) -> None:
    """Numbers (or numbers written as text, as Fooocus writes seeds) under our names."""
    for ours, theirs in names.items():
        value = data.get(theirs)
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
            value = float(value) if "." in value else int(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            settings[ours] = float(value) if ours == "guidance_scale" else int(value)
