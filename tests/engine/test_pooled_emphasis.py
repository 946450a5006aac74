"""Emphasis reaches SDXL's pooled embedding: by each weighted run's contribution to it."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def sdxl_pipe(sdxl_demo):
    from diffusers import DiffusionPipeline

    return DiffusionPipeline.from_pretrained(sdxl_demo)


def pooled(pipe, prompt: str) -> torch.Tensor:
    from t2ia_desktop.engine.prompt_embeds import encode

    return encode(pipe.tokenizer_2, pipe.text_encoder_2, prompt, 1, True)[1]


def pipeline_pooled(pipe, prompt: str) -> torch.Tensor:
    with torch.no_grad():
        return pipe.encode_prompt(prompt, device="cpu",
                                  do_classifier_free_guidance=False)[2]


def test_weight_one_everywhere_is_the_pipelines_pooled_embedding(sdxl_pipe):
    theirs = pipeline_pooled(sdxl_pipe, "a red lighthouse at dusk")
    for prompt in ("a red lighthouse at dusk", "a red (lighthouse:1) at dusk",
                   "(a red:1.0) lighthouse (at dusk:1)"):
        torch.testing.assert_close(pooled(sdxl_pipe, prompt), theirs, rtol=0, atol=0)


def test_weight_zero_is_the_prompt_without_the_word(sdxl_pipe):
    torch.testing.assert_close(pooled(sdxl_pipe, "a red (lighthouse:0) at dusk"),
                               pipeline_pooled(sdxl_pipe, "a red at dusk"),
                               rtol=1e-5, atol=1e-6)


def test_a_higher_weight_moves_the_pooled_embedding_monotonely(sdxl_pipe):
    plain = pipeline_pooled(sdxl_pipe, "a red lighthouse at dusk")[0]
    direction = plain - pipeline_pooled(sdxl_pipe, "a red at dusk")[0]
    assert direction.norm() > 1e-3  # the word does count in the pooled vector
    weights = [0.5, 0.8, 1.2, 1.5, 2.0]
    moved = [pooled(sdxl_pipe, f"a red (lighthouse:{w}) at dusk")[0] - plain for w in weights]
    along = [float(m @ direction / direction.norm() ** 2) for m in moved]
    # along the word's own direction by exactly (weight - 1), and nowhere else
    assert along == pytest.approx([w - 1 for w in weights], abs=1e-4)
    for m, w in zip(moved, weights, strict=True):
        torch.testing.assert_close(m, (w - 1) * direction, rtol=1e-4, atol=1e-5)
    distances = [float(m.norm()) for m in moved[2:]]
    assert distances == sorted(distances)
    assert distances[0] > 0


def test_several_runs_add_their_contributions(sdxl_pipe):
    plain = pipeline_pooled(sdxl_pipe, "a red lighthouse at dusk")
    red = plain - pipeline_pooled(sdxl_pipe, "a lighthouse at dusk")
    lighthouse = plain - pipeline_pooled(sdxl_pipe, "a red at dusk")
    both = pooled(sdxl_pipe, "a (red:1.5) [lighthouse] at dusk")
    torch.testing.assert_close(both, plain + 0.5 * red + (1 / 1.1 - 1) * lighthouse,
                               rtol=1e-4, atol=1e-5)


def test_the_pipeline_gets_weighted_pooled_embeddings_for_prompt_and_negative(sdxl_pipe):
    from t2ia_desktop.engine.prompt_embeds import with_prompt_weights

    def embeds(prompt, negative):
        return with_prompt_weights(sdxl_pipe, {"prompt": prompt, "negative_prompt": negative,
                                               "prompt_2": None, "negative_prompt_2": None},
                                   "sdxl")

    plain = pipeline_pooled(sdxl_pipe, "a red lighthouse")
    blurry = pipeline_pooled(sdxl_pipe, "blurry, dark")
    kwargs = embeds("a red (lighthouse:1.4)", "blurry, dark")
    assert not torch.equal(kwargs["pooled_prompt_embeds"], plain)
    torch.testing.assert_close(kwargs["negative_pooled_prompt_embeds"], blurry, rtol=0, atol=0)
    kwargs = embeds("a red lighthouse", "(blurry:1.4), dark")
    torch.testing.assert_close(kwargs["pooled_prompt_embeds"], plain, rtol=0, atol=0)
    assert not torch.equal(kwargs["negative_pooled_prompt_embeds"], blurry)


def test_runs_are_neighbouring_tokens_of_one_weight():
    from t2ia_desktop.engine.prompt_embeds import weighted_runs

    assert weighted_runs([]) == []
    assert weighted_runs([1.0, 1.0]) == []
    assert weighted_runs([1.0, 1.5, 1.5, 1.0, 0.5, 1.5]) == [(1, 3, 1.5), (4, 5, 0.5),
                                                             (5, 6, 1.5)]
