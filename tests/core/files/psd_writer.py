"""A minimal layered Photoshop file written byte by byte (psd-tools only reads PSDs).

8-bit RGB, raw (uncompressed) channels, one record per layer with name, bounds, opacity,
visibility and blend mode, and the flattened picture in the image data section.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLEND_KEYS = {"normal": b"norm", "multiply": b"mul ", "screen": b"scrn", "overlay": b"over",
              "darken": b"dark", "lighten": b"lite", "difference": b"diff"}


@dataclass
class LayerSpec:
    name: str
    pixels: np.ndarray  # (h, w, 4) uint8 straight RGBA, the layer's own bounds
    left: int = 0
    top: int = 0
    opacity: int = 255
    visible: bool = True
    blend: str = "normal"


def _pascal(name: str) -> bytes:
    raw = name.encode("latin-1")[:255]
    data = bytes([len(raw)]) + raw
    return data + b"\0" * (-len(data) % 4)


def write_psd(path: Path, width: int, height: int, layers: list[LayerSpec],
              composite: np.ndarray) -> None:
    """Write ``layers`` (bottom first) and the flattened ``composite`` (h, w, 3 or 4)."""
    records, channel_data = b"", b""
    for spec in layers:
        h, w = spec.pixels.shape[:2]
        channels = []
        for channel_id, index in ((-1, 3), (0, 0), (1, 1), (2, 2)):
            plane = struct.pack(">H", 0) + np.ascontiguousarray(spec.pixels[..., index]).tobytes()
            channels.append((channel_id, plane))
            channel_data += plane
        extra = struct.pack(">I", 0) + struct.pack(">I", 0) + _pascal(spec.name)
        records += struct.pack(">iiiiH", spec.top, spec.left, spec.top + h, spec.left + w,
                               len(channels))
        records += b"".join(struct.pack(">hI", cid, len(plane)) for cid, plane in channels)
        records += b"8BIM" + BLEND_KEYS[spec.blend]
        records += struct.pack(">BBBB", spec.opacity, 0, 0 if spec.visible else 2, 0)
        records += struct.pack(">I", len(extra)) + extra
    layer_info = struct.pack(">h", len(layers)) + records + channel_data
    layer_info += b"\0" * (len(layer_info) % 2)
    layer_and_mask = struct.pack(">I", len(layer_info)) + layer_info + struct.pack(">I", 0)
    planes = composite.shape[2]
    header = b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 + struct.pack(">HIIHH", planes, height,
                                                                      width, 8, 3)
    image_data = struct.pack(">H", 0) + b"".join(
        np.ascontiguousarray(composite[..., index]).tobytes() for index in range(planes))
    path.write_bytes(header + struct.pack(">I", 0) + struct.pack(">I", 0)
                     + struct.pack(">I", len(layer_and_mask)) + layer_and_mask + image_data)
