"""Coat textures: the identity signal of every lynx.

Each individual has ONE coat type (base colour, spot style, density, size) but
TWO independent spot layouts, one per flank, because real lynx flanks are not
mirror images of each other.  A texture is stored the way the flank is seen in
an image: the right flank with the head to the right, the left flank with the
head to the left.  It is never flipped when drawn, so a matcher must learn the
left and right flank of an animal separately, as it would in the field.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from trapline.simulate.seeds import stream

TEXTURE_W = 768
TEXTURE_H = 570
"""Texture size; it spans the whole lynx drawing canvas (see ``shapes.py``)."""

_LYNX_BASES = np.array(
    [[172, 142, 108], [152, 140, 122], [184, 146, 102], [160, 132, 104]]
)
_SPOT_RGB = np.array([48, 34, 24], dtype=np.float32)
_BELLY_RGB = np.array([226, 214, 192], dtype=np.float32)


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int], cells: int
) -> np.ndarray:
    """Zero-mean smooth noise: a coarse random grid upsampled bilinearly."""
    h, w = shape
    gh = max(2, round(cells * h / max(h, w)))
    gw = max(2, round(cells * w / max(h, w)))
    coarse = rng.standard_normal((gh, gw)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BICUBIC))


def fur(
    rng: np.random.Generator, base: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Fur-coloured float RGB (0-255) with blotchy and fine-grained variation."""
    h, w = shape
    blotch = 1 + 0.07 * smooth_noise(rng, shape, 12)
    grain = rng.standard_normal((h, w // 4 + 1)).astype(np.float32)
    streak = np.repeat(grain, 4, axis=1)[:, :w] * 0.05  # hairs lie along the body
    light = blotch + streak + 0.03 * rng.standard_normal(shape).astype(np.float32)
    return base.astype(np.float32)[None, None, :] * light[..., None]


def _blob(cx: float, cy: float, r: float, elong: float, angle: float, phase: float):
    t = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    rad = r * (1 + 0.18 * np.sin(3 * t + phase))
    x, y = rad * elong * np.cos(t), rad / elong * np.sin(t)
    ca, sa = np.cos(angle), np.sin(angle)
    return list(zip(cx + ca * x - sa * y, cy + sa * x + ca * y, strict=True))


def _spot_density(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where spots go, in texture fractions: mostly on the flank, fewer on legs."""
    flank = np.exp(-(((v - 0.5) / 0.16) ** 2)) * ((u > 0.12) & (u < 0.8))
    legs = 0.45 * (v > 0.68) * (((u > 0.2) & (u < 0.42)) | ((u > 0.55) & (u < 0.72)))
    return np.clip(flank + legs, 0, 1)


def _spot_layer(
    rng: np.random.Generator, coat: dict[str, float], flipped: bool
) -> np.ndarray:
    """Spot darkness 0-1 at texture size, drawn 2x supersampled for clean edges."""
    ss = 2
    layer = Image.new("L", (TEXTURE_W * ss, TEXTURE_H * ss), 0)
    draw = ImageDraw.Draw(layer)
    placed: list[tuple[float, float, float]] = []
    tries = 0
    while len(placed) < coat["n_spots"] and tries < 20 * coat["n_spots"]:
        tries += 1
        u, v = rng.random(2)
        if rng.random() > _spot_density(np.array(u), np.array(v)):
            continue
        r = coat["radius"] * rng.lognormal(0, 0.3) * (0.6 if v > 0.68 else 1.0)
        if any(
            (u - pu) ** 2 * TEXTURE_W**2 + (v - pv) ** 2 * TEXTURE_H**2 < (r + pr) ** 2
            for pu, pv, pr in placed
        ):
            continue
        placed.append((u, v, r))
        cx = (1 - u if flipped else u) * TEXTURE_W * ss
        cy, rs = v * TEXTURE_H * ss, r * ss
        shape = dict(
            elong=coat["elongation"] * rng.uniform(0.85, 1.2),
            angle=rng.normal(0, 0.35),
            phase=rng.uniform(0, 6.3),
        )
        dark = int(255 * rng.uniform(0.75, 1.0))
        draw.polygon(_blob(cx, cy, rs, **shape), fill=dark)
        if rng.random() < coat["rosette_share"] and r > 4:
            draw.polygon(_blob(cx, cy, rs * 0.55, **shape), fill=int(dark * 0.25))
    small = layer.resize((TEXTURE_W, TEXTURE_H), Image.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _coat(coat_seed: int, spot_contrast: float, low_contrast_fraction: float) -> dict:
    """Individual-level coat type, shared by both flanks."""
    rng = stream(coat_seed, "coat-type")
    contrast = spot_contrast * rng.uniform(0.85, 1.1)
    if rng.random() < low_contrast_fraction:
        contrast *= 0.5
    return {
        "base": _LYNX_BASES[rng.integers(len(_LYNX_BASES))] + rng.integers(-10, 11, 3),
        "n_spots": int(rng.integers(110, 260)),
        "radius": float(rng.uniform(5.0, 10.0)),
        "elongation": float(rng.uniform(1.0, 1.5)),
        "rosette_share": float(rng.choice([0.0, 0.3, 0.7])),
        "contrast": float(min(contrast, 0.95)),
    }


@lru_cache(maxsize=64)
def flank_texture(
    coat_seed: int,
    flank: str,
    spot_contrast: float = 0.8,
    low_contrast_fraction: float = 0.2,
) -> np.ndarray:
    """RGB uint8 texture of one flank as seen in an image (head right for right).

    The two flanks use independent random streams, so their spot layouts are
    unrelated; only the coat type (colour, spot size and style) is shared.
    """
    if flank not in ("left", "right"):
        raise ValueError(f"flank must be 'left' or 'right', not {flank!r}")
    coat = _coat(coat_seed, spot_contrast, low_contrast_fraction)
    rng = stream(coat_seed, "flank", flank)
    rgb = fur(rng, coat["base"], (TEXTURE_H, TEXTURE_W))
    v = np.linspace(0, 1, TEXTURE_H, dtype=np.float32)[:, None, None]
    belly = np.clip((v - 0.6) / 0.06, 0, 1) * np.clip((0.72 - v) / 0.05, 0, 1)
    back = 1 - 0.12 * np.clip((0.42 - v) / 0.15, 0, 1)  # darker dorsal line
    rgb = (rgb * (1 - belly) + _BELLY_RGB * belly) * back
    spots = (
        _spot_layer(rng, coat, flipped=flank == "left")[..., None] * coat["contrast"]
    )
    rgb = rgb * (1 - spots) + _SPOT_RGB * spots
    return np.clip(rgb, 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def fox_texture(seed: int) -> np.ndarray:
    """Unspotted red-fox fur over the fox canvas."""
    rng = stream(seed, "fox-fur")
    base = np.array([196, 98, 42]) + rng.integers(-15, 16, 3)
    return np.clip(fur(rng, base, (TEXTURE_H, TEXTURE_W)), 0, 255).astype(np.uint8)
