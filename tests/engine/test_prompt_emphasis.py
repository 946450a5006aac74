"""Prompt emphasis: embeddings weighted per token, and plain prompts left to the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def pipes(sdxl_demo, sd15_demo):
    from diffusers import DiffusionPipeline

    return {"sdxl": DiffusionPipeline.from_pretrained(sdxl_demo),
            "sd15": DiffusionPipeline.from_pretrained(sd15_demo)}


def our_embeds(pipe, family, prompt, negative=None):
    from t2ia_desktop.engine.prompt_embeds import with_prompt_weights

    kwargs = {"prompt": prompt, "negative_prompt": negative}
    if family == "sdxl":
        kwargs.update(prompt_2=None, negative_prompt_2=None)
    return with_prompt_weights(pipe, kwargs, family)


def test_plain_prompts_go_to_the_pipeline_untouched(pipes):
    from t2ia_desktop.engine.prompt_embeds import with_prompt_weights

    kwargs = {"prompt": "a lighthouse: dusk", "negative_prompt": "blurry", "prompt_2": None}
    assert with_prompt_weights(pipes["sdxl"], dict(kwargs), "sdxl") == kwargs
    escaped = with_prompt_weights(pipes["sd15"], {"prompt": r"a \(red\) cat:1.0"}, "sd15")
    assert escaped == {"prompt": "a (red) cat:1.0"}


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_weight_one_encodes_like_the_pipeline(pipes, family):
    from t2ia_desktop.engine.prompt_embeds import encode

    pipe = pipes[family]
    sdxl = family == "sdxl"
    ours, pooled = encode(pipe.tokenizer, pipe.text_encoder if not sdxl else pipe.text_encoder_2,
                          "a lighthouse at dusk", 1, sdxl)
    if sdxl:
        _, _, theirs_pooled, _ = pipe.encode_prompt("a lighthouse at dusk", device="cpu",
                                                    do_classifier_free_guidance=False)
        torch.testing.assert_close(pooled, theirs_pooled, rtol=0, atol=0)
        ours = torch.cat([encode(pipe.tokenizer, pipe.text_encoder, "a lighthouse at dusk", 1,
                                 True)[0], ours], dim=-1)
    theirs = pipe.encode_prompt("a lighthouse at dusk", device="cpu", num_images_per_prompt=1,
                                do_classifier_free_guidance=False)[0]
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_emphasis_scales_only_its_tokens(pipes, family):
    from t2ia_desktop.engine.prompt_embeds import encode, tokens_and_weights

    pipe = pipes[family]
    sdxl = family == "sdxl"
    encoder = pipe.text_encoder_2 if sdxl else pipe.text_encoder
    base = encode(pipe.tokenizer, encoder, "a red (lighthouse:1) at dusk", 1, sdxl)[0][0]
    emphasised = encode(pipe.tokenizer, encoder, "a red (lighthouse:1.5) at dusk", 1, sdxl)[0][0]
    ids, weights = tokens_and_weights(pipe.tokenizer, "a red (lighthouse:1.5) at dusk")
    heavy = [1 + i for i, w in enumerate(weights) if w == 1.5]  # +1: the start token
    assert heavy
    # every token is rescaled by one common factor (the mean is restored); the emphasised
    # ones by 1.5 times that factor
    ratio = emphasised / base
    common = ratio[0].mean()
    others = [i for i in range(len(ids) + 2) if i not in heavy]
    torch.testing.assert_close(ratio[others], torch.full_like(ratio[others], common.item()),
                               rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(ratio[heavy], torch.full_like(ratio[heavy], 1.5 * common.item()),
                               rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(emphasised.mean(), base.mean(), rtol=1e-5, atol=1e-6)


def test_long_prompts_are_encoded_in_windows(pipes):
    pipe = pipes["sdxl"]
    long = "(a lighthouse:1.2) " + "on a cliff by the sea " * 30
    kwargs = our_embeds(pipe, "sdxl", long, "blurry")
    assert kwargs["prompt_embeds"].shape[1] == kwargs["negative_prompt_embeds"].shape[1]
    assert kwargs["prompt_embeds"].shape[1] % 77 == 0
    assert kwargs["prompt_embeds"].shape[1] > 77
    assert kwargs["pooled_prompt_embeds"].shape == (1, pipe.text_encoder_2.config.projection_dim)
    empty_negative = our_embeds(pipe, "sdxl", long)
    assert not empty_negative["negative_prompt_embeds"].any()  # as the pipeline zeroes it


def test_emphasis_changes_the_picture_and_weight_one_does_not(sdxl_demo):
    from t2ia_desktop.core.generation.request import GenerationRequest
    from t2ia_desktop.engine.generate import Engine

    engine = Engine(device="cpu")
    base = GenerationRequest(model=str(sdxl_demo), prompt="a red lighthouse", steps=2,
                             width=64, height=64, seed=5, guidance_scale=5.0)

    def image(prompt):
        return np.asarray(engine.generate(base.with_changes(prompt=prompt)), dtype=np.int16)

    plain = image("a red lighthouse")
    assert np.array_equal(image("a red (lighthouse:1)"), plain)
    assert np.abs(image("a red (lighthouse:1.6)") - plain).max() >= 2  # random weights: faint
