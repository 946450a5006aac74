"""Settings from pictures other generators made, shaped as those programs write them (A1111's
parameters text in PNG chunks and EXIF UserComment, Fooocus' JSON, ComfyUI's prompt graph,
InvokeAI's and NovelAI's JSON), and true words for pictures without settings."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.parameters_text import parse_parameters, read_image_settings

A1111 = ("a castle <lora:watercolor_v2:0.8>, at dusk <lora:detail:1.2>\n"
         "Negative prompt: blurry\n"
         "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, "
         "Seed: 4294967295, Size: 832x1216, Model: sdxl_base")


def png_with(path, **texts):
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    Image.new("RGB", (16, 16), "gray").save(path, pnginfo=info)
    return path


def user_comment(text: str) -> bytes:
    """EXIF UserComment as piexif.helper.UserComment.dump(text, encoding="unicode") writes it
    (A1111's JPEG/WebP writer)."""
    return b"UNICODE\0" + text.encode("utf-16-be")


def test_a1111_karras_schedule_lora_tags_and_seeds_up_to_2_32():
    found = parse_parameters(A1111)
    assert found.settings["scheduler"] == "dpmpp-2m-karras"
    assert found.settings["seed"] == 2**32 - 1
    assert found.settings["prompt"] == "a castle, at dusk"
    assert any("watercolor_v2 (0.8), detail (1.2)" in note for note in found.notes)
    assert parse_parameters("x\nSteps: 5, Sampler: DPM++ 2M Karras, Seed: 1").settings[
        "scheduler"] == "dpmpp-2m-karras"
    euler = parse_parameters("x\nSteps: 5, Sampler: Euler, Schedule type: Karras, Seed: 1")
    assert euler.settings["scheduler"] == "euler"
    assert any("Karras schedule is not offered with euler" in note for note in euler.notes)


def test_a1111_text_after_the_pixel_data_is_read(tmp_path):
    path = tmp_path / "late.png"
    Image.new("RGB", (8, 8), "red").save(path)
    data = path.read_bytes()
    body = b"parameters\0" + A1111.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(
        ">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4
    path.write_bytes(data[:end] + chunk + data[end:])  # after IDAT, before IEND
    assert read_image_settings(path).settings["steps"] == 28


@pytest.mark.parametrize("suffix", [".jpg", ".webp"])
def test_a1111_jpeg_and_webp_carry_parameters_in_exif_user_comment(tmp_path, suffix):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = user_comment(A1111)
    path = tmp_path / f"a1111{suffix}"
    Image.new("RGB", (16, 16), "gray").save(path, exif=exif.tobytes())
    found = read_image_settings(path)
    assert found.source == "parameters"
    assert (found.settings["steps"], found.settings["seed"]) == (28, 2**32 - 1)


def test_fooocus_json_is_read_not_pasted_into_the_prompt(tmp_path):
    fooocus = {"prompt": "a red fox", "negative_prompt": "ugly", "styles": "['Fooocus V2']",
               "performance": "Speed", "resolution": "(1152, 896)", "guidance_scale": 4.5,
               "sharpness": 2, "base_model": "juggernautXL_v8Rundiffusion.safetensors",
               "sampler": "dpmpp_2m", "scheduler": "karras", "seed": "123456789",
               "steps": 30, "version": "Fooocus v2.5.5"}
    path = png_with(tmp_path / "fooocus.png", parameters=json.dumps(fooocus),
                    fooocus_scheme="fooocus")
    found = read_image_settings(path)
    assert found.source == "fooocus"
    assert found.settings == {
        "prompt": "a red fox", "negative_prompt": "ugly", "seed": 123456789, "steps": 30,
        "guidance_scale": 4.5, "width": 1152, "height": 896, "scheduler": "dpmpp-2m-karras",
        "model": "juggernautXL_v8Rundiffusion.safetensors"}
    assert any("styles" in note for note in found.notes)


COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 156680208700286, "steps": 20, "cfg": 8.0, "sampler_name": "euler_ancestral",
        "scheduler": "normal", "denoise": 1.0, "model": ["10", 0], "positive": ["6", 0],
        "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768,
                                                       "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cottage", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark",
                                                     "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}},
    "10": {"class_type": "LoraLoader", "inputs": {"lora_name": "ink.safetensors",
                                                  "strength_model": 0.7, "model": ["4", 0],
                                                  "clip": ["4", 1]}},
}


def test_comfyui_prompt_graph_gives_the_ksamplers_settings_and_texts(tmp_path):
    path = png_with(tmp_path / "comfy.png", prompt=json.dumps(COMFY_PROMPT),
                    workflow=json.dumps({"nodes": []}))
    found = read_image_settings(path)
    assert found.source == "comfyui"
    assert found.settings == {
        "seed": 156680208700286, "steps": 20, "guidance_scale": 8.0, "scheduler": "euler-a",
        "prompt": "a cottage", "negative_prompt": "text, watermark", "width": 512,
        "height": 768, "model": "v1-5.safetensors"}
    assert any("ink.safetensors (0.7)" in note for note in found.notes)


def test_invokeai_metadata_is_read(tmp_path):
    metadata = {"generation_mode": "txt2img", "positive_prompt": "a lighthouse",
                "negative_prompt": "fog", "width": 1024, "height": 1024, "seed": 3000000000,
                "cfg_scale": 7.5, "steps": 30, "scheduler": "dpmpp_2m_k",
                "model": {"name": "sdxl-base", "base": "sdxl"}}
    found = read_image_settings(png_with(tmp_path / "invoke.png",
                                         invokeai_metadata=json.dumps(metadata)))
    assert found.source == "invokeai"
    assert found.settings == {"prompt": "a lighthouse", "negative_prompt": "fog",
                              "seed": 3000000000, "steps": 30, "guidance_scale": 7.5,
                              "width": 1024, "height": 1024, "scheduler": "dpmpp-2m-karras",
                              "model": "sdxl-base"}


def test_novelai_comment_is_read(tmp_path):
    comment = {"prompt": "1girl, umbrella", "steps": 28, "height": 1216, "width": 832,
               "scale": 5.0, "seed": 2547829, "sampler": "k_euler_ancestral",
               "noise_schedule": "native", "uc": "lowres"}
    path = png_with(tmp_path / "nai.png", Title="NovelAI generated image",
                    Description="1girl, umbrella", Software="NovelAI", Source="NovelAI Diffusion",
                    Comment=json.dumps(comment))
    found = read_image_settings(path)
    assert found.source == "novelai"
    assert found.settings == {"prompt": "1girl, umbrella", "negative_prompt": "lowres",
                              "seed": 2547829, "steps": 28, "guidance_scale": 5.0,
                              "width": 832, "height": 1216, "scheduler": "euler-a"}


def test_pictures_without_settings_are_told_the_truth(tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    with pytest.raises(BadInput, match="holds no text at all"):
        read_image_settings(plain)
    with pytest.raises(BadInput, match="made with Krita.*text fields are: Software"):
        read_image_settings(png_with(tmp_path / "k.png", Software="Krita"))
    with pytest.raises(BadInput, match="made with ComfyUI, but its settings could not be read"):
        read_image_settings(png_with(tmp_path / "c.png", prompt='{"1": {"class_type": "X"}}'))
