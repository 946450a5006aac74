"""Encoding prompts with emphasis into ``prompt_embeds`` for SD1.5 and both SDXL text encoders.

Prompts without emphasis are left to the pipeline's own ``encode_prompt`` (the fidelity tests
compare the app's pixels with plain diffusers calls). With emphasis, each prompt is tokenized
piece by piece, split into windows of 75 tokens (each framed by the start and end tokens and
padded like the tokenizer pads to 77), encoded window by window and concatenated, so long
prompts are not cut at 77 tokens. Each token's embedding is multiplied by its weight, then the
whole is rescaled to its original mean (the AUTOMATIC1111 approach), which keeps the overall
strength of the conditioning while shifting it between tokens.

SDXL's pooled embedding (``text_encoder_2``'s projected end token of the first window) has no
tokens to weigh, and weighting the hidden states cannot reach it: the end token's state is
computed inside the encoder from the unweighted tokens. A1111, ComfyUI and compel leave it
unweighted, so ``(castle:1.5)`` strengthens the castle through cross-attention only, while the
global vector that SDXL adds to its time embedding still sees it at weight 1. Here emphasis
reaches it too, as each emphasised run of tokens' *contribution* to it: for a run weighted
``w``, the first window is encoded once more without that run, and

    pooled = pooled(prompt) + (w - 1) * (pooled(prompt) - pooled(prompt without the run))

summed over the runs (all the variants in one batch). ``(castle:0)`` gives the pooled vector of
the prompt without "castle", ``(castle:1)`` leaves it untouched (bit for bit: runs of weight 1
are no runs), and a higher weight moves it farther along the castle's own direction, linearly.
Only runs in the first window count, as only that window is pooled.
"""

from __future__ import annotations

import torch

from t2ia_desktop.core.generation.prompt_weights import has_emphasis, parse_prompt, plain_text

WINDOW = 75  # tokens per window between the start and end tokens


def tokens_and_weights(tokenizer, text: str) -> tuple[list[int], list[float]]:
    """The prompt's token ids (no start/end tokens) and each token's weight."""
    ids: list[int] = []
    weights: list[float] = []
    for piece, weight in parse_prompt(text):
        piece_ids = tokenizer(piece, add_special_tokens=False).input_ids
        ids += piece_ids
        weights += [weight] * len(piece_ids)
    return ids, weights


def windows_needed(tokenizer, *texts: str | None) -> int:
    return max([1] + [-(-len(tokens_and_weights(tokenizer, t or "")[0]) // WINDOW)
                      for t in texts])


def encode(tokenizer, text_encoder, text: str, windows: int, sdxl: bool
           ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Weighted hidden states ``[1, 77 * windows, D]`` and, for a projection encoder, the
    pooled embedding of the first window."""
    ids, weights = tokens_and_weights(tokenizer, text)
    device = text_encoder.device
    states, pooled = [], None
    for index in range(windows):
        part = ids[index * WINDOW:(index + 1) * WINDOW]
        part_weights = weights[index * WINDOW:(index + 1) * WINDOW]
        window = _framed(tokenizer, part)
        scale = torch.tensor([1.0, *part_weights] + [1.0] * (WINDOW + 1 - len(part_weights)))
        with torch.no_grad():
            output = text_encoder(torch.tensor([window], device=device),
                                  output_hidden_states=sdxl)
        hidden = output.hidden_states[-2] if sdxl else output[0]
        if pooled is None and output[0].ndim == 2:
            pooled = emphasised_pooled(tokenizer, text_encoder, part, part_weights, output[0])
        if (scale != 1.0).any():
            original_mean = hidden.float().mean()
            hidden = hidden * scale.to(hidden.device, hidden.dtype)[None, :, None]
            hidden = hidden * (original_mean / hidden.float().mean()).to(hidden.dtype)
        states.append(hidden)
    return torch.cat(states, dim=1), pooled


def _framed(tokenizer, ids: list[int]) -> list[int]:
    """``ids`` between the start and end tokens, padded to one window (77 tokens)."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    window = [tokenizer.bos_token_id, *ids, tokenizer.eos_token_id]
    return window + [pad] * (WINDOW + 2 - len(window))


def weighted_runs(weights: list[float]) -> list[tuple[int, int, float]]:
    """``(start, end, weight)`` of each run of neighbouring tokens with one weight other
    than 1."""
    runs: list[tuple[int, int, float]] = []
    start = 0
    for index in range(1, len(weights) + 1):
        if index == len(weights) or weights[index] != weights[start]:
            if weights[start] != 1.0:
                runs.append((start, index, weights[start]))
            start = index
    return runs


def emphasised_pooled(tokenizer, text_encoder, ids: list[int], weights: list[float],
                      pooled: torch.Tensor) -> torch.Tensor:
    """``pooled`` (the window ``ids``' pooled embedding, ``[1, D]``) with each emphasised
    run's contribution scaled by its weight (see the module docstring)."""
    runs = weighted_runs(weights)
    if not runs:
        return pooled
    variants = [_framed(tokenizer, ids[:start] + ids[end:]) for start, end, _ in runs]
    with torch.no_grad():
        without = text_encoder(torch.tensor(variants, device=text_encoder.device))[0]
    full = pooled.float()
    result = full.clone()
    for (_, _, weight), other in zip(runs, without.float(), strict=True):
        result += (weight - 1.0) * (full - other[None])
    return result.to(pooled.dtype)


def _weighted(kwargs: dict) -> bool:
    names = ("prompt", "negative_prompt", "prompt_2", "negative_prompt_2")
    return any(has_emphasis(kwargs.get(name)) for name in names)


def with_prompt_weights(pipe, kwargs: dict, family: str) -> dict:
    """``kwargs`` for ``pipe(...)`` with emphasised prompts turned into embeddings; prompts
    without emphasis pass through as they are (escapes resolved)."""
    names = ("prompt", "negative_prompt", "prompt_2", "negative_prompt_2")
    if not _weighted(kwargs):
        for name in names:
            if isinstance(kwargs.get(name), str):
                kwargs[name] = plain_text(kwargs[name]) or (None if name != "prompt" else "")
        return kwargs
    prompt = kwargs.pop("prompt") or ""
    negative = kwargs.pop("negative_prompt", None)
    if family != "sdxl":
        texts = (prompt, negative or "")
        windows = windows_needed(pipe.tokenizer, *texts)
        kwargs["prompt_embeds"] = encode(pipe.tokenizer, pipe.text_encoder, prompt,
                                         windows, False)[0].to(pipe.unet.dtype)
        kwargs["negative_prompt_embeds"] = encode(pipe.tokenizer, pipe.text_encoder,
                                                  negative or "", windows,
                                                  False)[0].to(pipe.unet.dtype)
        return kwargs
    prompt_2 = kwargs.pop("prompt_2", None) or prompt
    negative_2 = kwargs.pop("negative_prompt_2", None)
    zero_negative = negative is None and pipe.config.force_zeros_for_empty_prompt
    negative = negative or ""
    negative_2 = negative_2 or negative
    windows = max(windows_needed(pipe.tokenizer, prompt, negative),
                  windows_needed(pipe.tokenizer_2, prompt_2, negative_2))
    dtype = pipe.text_encoder_2.dtype

    def both(first: str, second: str) -> tuple[torch.Tensor, torch.Tensor]:
        one, _ = encode(pipe.tokenizer, pipe.text_encoder, first, windows, True)
        two, pooled = encode(pipe.tokenizer_2, pipe.text_encoder_2, second, windows, True)
        return torch.cat([one, two], dim=-1).to(dtype), pooled.to(dtype)

    kwargs["prompt_embeds"], kwargs["pooled_prompt_embeds"] = both(prompt, prompt_2)
    if zero_negative:  # what the pipeline does for an empty negative prompt
        kwargs["negative_prompt_embeds"] = torch.zeros_like(kwargs["prompt_embeds"])
        kwargs["negative_pooled_prompt_embeds"] = torch.zeros_like(kwargs["pooled_prompt_embeds"])
    else:
        kwargs["negative_prompt_embeds"], kwargs["negative_pooled_prompt_embeds"] = both(
            negative, negative_2)
    return kwargs
