"""An estimate of a run's peak memory, shown before it starts (no torch here).

The peak is the largest of three phases, each = weights resident then + that phase's working
memory:

- **denoising**: the UNet's weights (all of the pipeline's without offload) and every adapter's
  and ControlNet's, plus the UNet's activations: ``UNET_VALUES × latent pixels × UNet batch``
  (the batch is 2 with classifier-free guidance, which runs the UNet on the prompt and the
  negative prompt at once), plus the adapters' cached features and the ControlNets' summed
  residuals, plus, with attention slicing, the attention scores of half the heads of the first
  attention level at a time (``tokens²``: the one quadratic term);
- **VAE decode**: the VAE's weights (all without offload) plus ``VAE_DECODE_VALUES × pixels`` for
  the decoder's full-resolution tensors; a tiled decode only ever holds one tile's;
- **refiner** (SDXL): as denoising, with the refiner's UNet (its own weights resident too when
  nothing is offloaded).

Parameter counts are those of the published configurations (tests/engine/real_configs.py
rebuilds them on the meta device and counts): SDXL UNet 2.567 B, text encoders 0.123 B + 0.695 B,
VAE 0.084 B, refiner UNet 2.260 B, an XL adapter 0.079 B, an XL ControlNet 1.251 B (the union
model 1.256 B); SD1.5 UNet 0.860 B, text encoder 0.123 B, VAE 0.084 B, adapter 0.077 B,
ControlNet 0.361 B. The activation constants are counts of the largest tensors
alive at once (skip connections kept for the up path, the widest feed-forward of a transformer
block, the decoder's last upsampling at full resolution) with PyTorch's memory-efficient
attention (SDPA), not measurements: read the figure as an order of magnitude (± 20 %).
"""

from __future__ import annotations

from dataclasses import dataclass

from t2ia_desktop.core.generation.memory_policy import MemoryPlan

GIB = 1024**3

#: The UNet and the adapters halve the latent 2 (SDXL) or 3 (SD1.5) times after the VAE's 8x,
#: and the XL adapters unshuffle by 16 then halve once: sizes must be multiples of these.
SIZE_MULTIPLES = {"sdxl": 32, "sd15": 64}


def working_size(width: int, height: int, family: str) -> tuple[int, int]:
    """The size the pipeline runs at: the request's, rounded up to what the models take."""
    multiple = SIZE_MULTIPLES[family]
    return -(-width // multiple) * multiple, -(-height // multiple) * multiple


@dataclass(frozen=True)
class FamilyFigures:
    """Parameter counts and activation constants of one family's models."""

    unet: float
    text_encoders: float
    vae: float
    adapter: float
    refiner_unet: float
    unet_values: int
    """Activation values alive at the UNet's peak, per latent pixel and batch item."""
    adapter_feature_values: int
    """Values of one adapter's features (all levels), per latent pixel."""
    attention_downscale: int
    """The first attention level's latent downscale (its tokens = latent pixels / this²)."""
    attention_heads: int
    """Heads of that level; attention slicing computes half of them at a time."""
    vae_tile: int
    """Side in pixels of the VAE's tiles (its config's ``sample_size``)."""
    controlnet: float = 0.0
    """Parameters of one ControlNet (a copy of the UNet's encoder and middle block)."""


CONTROLNET_RESIDUAL_VALUES = 1640
"""Values of a ControlNet's residuals (conv_in, every down block's outputs, the middle block) per
latent pixel and batch item, the same for SDXL and SD1.5 (320·3 + 320/4 + 640·2/4 + 640/16 +
1280·2/16 + 80 or 100 at the lowest levels). Several ControlNets add into one set; a ControlNet
runs before the UNet, so its own activations never peak with the UNet's."""


FAMILIES: dict[str, FamilyFigures] = {
    # SDXL: no attention at the full latent level (320 channels); 640 channels with 10 heads at
    # 1/2. Skips ≈ 3·320 + 3·640/4 + 3·1280/16 ≈ 1700 values per latent pixel; the widest working
    # set is an up-block resnet at full latent size (960 → 320 channels: ≈ 2600) and the
    # GEGLU feed-forward of level 2 (640 · 8 / 4 ≈ 1300).
    "sdxl": FamilyFigures(2.567e9, 0.123e9 + 0.695e9, 0.084e9, 0.079e9, 2.260e9,
                          unet_values=6000,
                          adapter_feature_values=(320 + 640) // 4 + 2 * 1280 // 16,
                          attention_downscale=2, attention_heads=10, vae_tile=1024,
                          controlnet=1.251e9),
    # SD1.5: attention already at the full latent level (320 channels, 8 heads): its GEGLU
    # (2560 values per token) joins the skips (≈ 1750).
    "sd15": FamilyFigures(0.860e9, 0.123e9, 0.084e9, 0.077e9, 0.0,
                          unet_values=6000,
                          adapter_feature_values=320 + 640 // 4 + 1280 // 16 + 1280 // 64,
                          attention_downscale=1, attention_heads=8, vae_tile=512,
                          controlnet=0.361e9),
}

DEMO_FIGURES = FamilyFigures(2.57e6, 0.05e6 + 0.05e6, 0.07e6, 0.079e9, 0.0,
                             unet_values=600, adapter_feature_values=(320 + 640) // 4,
                             attention_downscale=2, attention_heads=2, vae_tile=1024,
                             controlnet=1.0e6)
"""The demo model (random weights, engine/demo): an SDXL UNet of 32/64/64 channels, text
encoders and VAE of a few hundred KB; the adapters it runs with are full-size."""

DEMO_DECODE_VALUES = 50
"""The demo VAE's decoder is 16 channels wide at full resolution, not 256."""

RUNTIME_CPU = int(1.1 * GIB)
"""On the CPU the same RAM also holds PyTorch, diffusers, controlnet_aux and the app: 0.84 GB
resident with the libraries imported and no model loaded (measured), plus the Qt window."""

VAE_DECODE_VALUES = 800
"""Decoder values alive per output pixel: the last upsampling's 256-channel tensors (input,
upsampled, convolved) at full resolution and a 128-channel one."""

SEQUENTIAL_RESIDENT = 0.05e9
"""Parameters on the device at once under sequential offload (one layer: about the largest
feed-forward of an SDXL block), per model that runs."""

WORKSPACE = int(0.25 * GIB)
"""cuBLAS workspace and the allocator's rounding on an accelerator."""

BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "fp32": 4, "fp16": 2, "bf16": 2}

PHASES = ("text encoders", "denoising", "VAE decode", "refiner")


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimated peak in bytes and how it is made up."""

    peak: int
    phase: str
    """The phase that peaks: "denoising", "VAE decode", "refiner" or "text encoders"."""
    weights: int
    """Weights resident during that phase."""
    working: int
    """Activations (and cached features) during that phase."""
    memory: str
    """Which memory: "VRAM" on a GPU, "RAM" on the CPU."""
    terms: tuple[tuple[str, int], ...] = ()
    """The phase's terms, for the tooltip."""

    @property
    def gib(self) -> float:
        return self.peak / GIB

    def text(self) -> str:
        """For a label: "≈ 9.8 GB VRAM" (:meth:`describe` lists what it counts)."""
        return f"≈ {self.gib:.1f} GB {self.memory}"

    def describe(self) -> str:
        """For a tooltip: the terms of the peak and what lowers it."""
        lines = [f"Estimated peak {self.memory}: {self.gib:.1f} GB, during the {self.phase}. "
                 "It counts:"]
        lines += [f"  {name}: {value / GIB:.2f} GB" for name, value in self.terms]
        lines.append("An order of magnitude (± 20 %), from the models' sizes and the picture's "
                     "area. A smaller size, fewer control layers, no refiner or the Low VRAM "
                     "memory setting lower it.")
        return "\n".join(lines)

    def exceeds(self, available: int | None) -> bool:
        return available is not None and self.peak > available


def estimate_peak_memory(
    family: str,
    width: int,
    height: int,
    *,
    guidance: bool = True,
    dtype: str = "float16",
    adapters: int = 0,
    controlnets: int = 0,
    refiner: bool = False,
    offload: str = "none",
    attention_slicing: bool = False,
    vae_tiling: bool = False,
    device: str = "cuda",
    demo: bool = False,
) -> MemoryEstimate:
    """The peak memory of one image of ``width`` × ``height`` (the working size: see
    :func:`working_size`) in bytes, with the terms documented in this module's docstring.

    ``guidance``: classifier-free guidance (guidance scale > 1) doubles the UNet batch.
    ``controlnets``: the ControlNet models loaded (a union model serving several layers counts
    once): their weights stay on the device, as adapters' do, and their residuals are summed.
    ``offload``: "none", "model" (whole models moved in when used) or "sequential" (layer by
    layer); on the CPU everything is in RAM whatever it says.
    """
    figures = DEMO_FIGURES if demo else FAMILIES[family]
    size = BYTES[dtype]
    on_cpu = device == "cpu"
    if on_cpu:
        offload = "none"
    refiner = refiner and figures.refiner_unet > 0
    latent = (width // 8) * (height // 8)
    batch = 2 if guidance else 1

    def params(count: float) -> int:
        if offload == "sequential":
            count = min(count, SEQUENTIAL_RESIDENT)
        return int(count * size)

    adapter_weights = int(adapters * figures.adapter * size  # adapters stay on the device
                          + controlnets * figures.controlnet * size)  # and ControlNets
    features = adapters * figures.adapter_feature_values * latent * size
    residuals = (batch * CONTROLNET_RESIDUAL_VALUES * latent * size) if controlnets else 0
    unet_activations = batch * figures.unet_values * latent * size
    attention = 0
    if attention_slicing:
        tokens = latent // figures.attention_downscale**2
        attention = 2 * max(1, figures.attention_heads // 2) * tokens**2 * size
    decode_pixels = min(width * height, figures.vae_tile**2) if vae_tiling else width * height
    decode = (DEMO_DECODE_VALUES if demo else VAE_DECODE_VALUES) * decode_pixels * size
    encoders_act = batch * 77 * 1280 * 8 * size  # tiny: 77 tokens

    everything = (figures.unet + figures.text_encoders + figures.vae
                  + (figures.refiner_unet if refiner else 0.0))
    if offload == "none":
        resident = {phase: int(everything * size) for phase in PHASES}
        resident = {phase: value + adapter_weights for phase, value in resident.items()}
    else:
        resident = {
            "text encoders": params(figures.text_encoders) + adapter_weights,
            "denoising": params(figures.unet) + adapter_weights,
            "VAE decode": params(figures.vae) + adapter_weights,
            "refiner": params(figures.refiner_unet) + adapter_weights,
        }
    phases: dict[str, tuple[tuple[str, int], ...]] = {
        "text encoders": (("text encoders' activations", encoders_act),),
        "denoising": (("UNet activations" + (" (×2 for guidance)" if guidance else ""),
                       unet_activations), ("adapter features", features),
                      ("ControlNet residuals", residuals),
                      ("attention scores (slicing)", attention)),
        "VAE decode": (("VAE decode" + (" (one tile)" if vae_tiling and decode_pixels
                                        < width * height else ""), decode),),
    }
    if refiner:
        phases["refiner"] = (("refiner UNet activations", unet_activations),)
    if on_cpu:  # the runtime shares the RAM with the models
        phases = {phase: (*terms, ("PyTorch, diffusers and the app", RUNTIME_CPU))
                  for phase, terms in phases.items()}
    best: MemoryEstimate | None = None
    for phase, terms in phases.items():
        working = sum(value for _, value in terms)
        peak = resident[phase] + working + (0 if on_cpu else WORKSPACE)
        if best is None or peak > best.peak:
            shown = (("weights resident", resident[phase]),
                     *((name, value) for name, value in terms if value))
            best = MemoryEstimate(peak, phase, resident[phase], working,
                                  "RAM" if on_cpu else "VRAM", shown)
    assert best is not None
    return best


def estimate_for_plan(family: str, width: int, height: int, *, guidance_scale: float,
                      adapters: int, refiner: bool, plan: MemoryPlan,
                      device: str, demo: bool = False,
                      controlnets: int = 0) -> MemoryEstimate:
    """The estimate for a request's settings under the memory ``plan`` the engine would choose
    on ``device`` ("cuda", "mps" or "cpu"); ``width`` × ``height`` is the requested size."""
    padded = working_size(width, height, family)
    return estimate_peak_memory(
        family, *padded, guidance=guidance_scale > 1.0, dtype=plan.dtype, adapters=adapters,
        controlnets=controlnets, refiner=refiner, offload=plan.offload,
        attention_slicing=plan.attention_slicing, vae_tiling=plan.tiles_at(*padded),
        device=device, demo=demo)
