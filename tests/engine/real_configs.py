"""The published SDXL / SD1.5 model configurations, rebuilt from their known values (the config
JSONs are not available offline), for counting parameters on the meta device."""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL, T2IAdapter, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection


def parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def sdxl_unet() -> UNet2DConditionModel:
    """stabilityai/stable-diffusion-xl-base-1.0 unet/config.json."""
    return UNet2DConditionModel(
        sample_size=128, in_channels=4, out_channels=4, layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(320, 640, 1280), transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(5, 10, 20), cross_attention_dim=2048, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816)


def sdxl_refiner_unet() -> UNet2DConditionModel:
    """stabilityai/stable-diffusion-xl-refiner-1.0 unet/config.json."""
    return UNet2DConditionModel(
        sample_size=128, in_channels=4, out_channels=4, layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                          "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(384, 768, 1536, 1536), transformer_layers_per_block=4,
        attention_head_dim=(6, 12, 24, 24), cross_attention_dim=1280, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2560)


def sd15_unet() -> UNet2DConditionModel:
    """runwayml/stable-diffusion-v1-5 unet/config.json (diffusers' defaults but these two)."""
    return UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8)


def vae() -> AutoencoderKL:
    """The SD / SDXL VAE (same shape; SDXL's fp16-fix VAE too)."""
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(128, 256, 512, 512))


def clip_vit_l() -> CLIPTextModel:
    """openai/clip-vit-large-patch14's text model (SD1.5; SDXL's text_encoder)."""
    return CLIPTextModel(CLIPTextConfig(
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        projection_dim=768, hidden_act="quick_gelu"))


def open_clip_bigg() -> CLIPTextModelWithProjection:
    """SDXL's text_encoder_2 (OpenCLIP ViT-bigG/14)."""
    return CLIPTextModelWithProjection(CLIPTextConfig(
        hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20,
        projection_dim=1280, hidden_act="gelu"))


def adapter(family: str) -> T2IAdapter:
    """TencentARC's T2I-Adapters: full_adapter_xl (SDXL) and full_adapter (SD1.5)."""
    xl = family == "sdxl"
    return T2IAdapter(in_channels=3, channels=[320, 640, 1280, 1280], num_res_blocks=2,
                      downscale_factor=16 if xl else 8,
                      adapter_type="full_adapter_xl" if xl else "full_adapter")
