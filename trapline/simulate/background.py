"""One fixed procedural scene per station: forest edge, trunks, ground, grass.

A camera trap sees the same scene all season, so every image of a station is
drawn over the SAME background (with per-frame lighting and noise added later
in ``render.py``).  That is deliberate: different individuals appear in front of
identical trunks and grass, so a re-identification matcher that keys on the
background instead of the coat is caught out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from trapline.simulate.seeds import stream
from trapline.simulate.textures import smooth_noise

CAMERA_HEIGHT_M = 0.55
"""Lens height above ground; with the horizon line it fixes where paws touch."""

_CANOPIES = ((38, 56, 36), (58, 70, 44), (92, 86, 76))  # spruce, mixed, bare beech
_GROUNDS = ((108, 90, 66), (90, 98, 60), (122, 108, 84))  # leaf litter, moss, dry


@dataclass(frozen=True)
class Scene:
    """A station's background: day colour, night infrared, and its geometry."""

    day: np.ndarray
    """uint8 RGB (H, W, 3)."""
    night: np.ndarray
    """uint8 grey (H, W), already darkened by the infrared flash fall-off."""
    horizon_y: float
    focal_px: float

    def ground_y(self, distance_m: float) -> float:
        """Image row where something at ``distance_m`` touches the ground."""
        return self.horizon_y + self.focal_px * CAMERA_HEIGHT_M / distance_m


def _canopy_and_trunks(draw: ImageDraw.ImageDraw, rng, w: int, h: int, horizon: float):
    xs = np.arange(0, w + 16, 16)
    top = horizon - h * rng.uniform(0.2, 0.36)
    top = top + h * 0.05 * smooth_noise(rng, (1, len(xs)), 8)[0]
    top = top - h * 0.03 * rng.random(len(xs))  # ragged crowns
    canopy = tuple(int(c) for c in _CANOPIES[rng.integers(len(_CANOPIES))])
    draw.polygon(
        [(0, horizon + 4)] + list(zip(xs, top, strict=True)) + [(w, horizon + 4)],
        fill=canopy,
    )
    n = int(rng.integers(7, 17))
    for z in np.sort(rng.random(n))[::-1]:  # far trunks first
        near = 1 - z
        x = rng.uniform(-0.02, 1.02) * w
        half = w * (0.004 + 0.03 * near**2) * rng.uniform(0.7, 1.3)
        base = horizon + h * (0.01 + 0.12 * near**1.5)
        grey = int(40 + 70 * z * rng.uniform(0.7, 1.1))
        colour = (grey + 8, grey + 2, grey - 6)
        draw.polygon(
            [
                (x - half * 0.8, -1),
                (x + half * 0.8, -1),
                (x + half * 1.1, base),
                (x - half * 1.1, base),
            ],
            fill=colour,
        )
        lit = tuple(min(255, int(c * 1.3)) for c in colour)  # rounded, sunlit side
        draw.polygon(
            [
                (x - half * 0.5, -1),
                (x - half * 0.1, -1),
                (x - half * 0.15, base),
                (x - half * 0.7, base),
            ],
            fill=lit,
        )


def _grass(draw: ImageDraw.ImageDraw, rng, w: int, h: int, horizon: float):
    n = int(1400 * w / 1920)
    ys = horizon + (h - horizon) * rng.random(n) ** 0.7
    for x, y in zip(rng.random(n) * w, np.sort(ys), strict=True):
        depth = (y - horizon) / (h - horizon)
        length = h * (0.008 + 0.05 * depth) * rng.uniform(0.5, 1.5)
        lean = rng.normal(0, 0.35) * length
        tone = rng.uniform(0.7, 1.2)
        colour = tuple(
            int(c * tone) for c in ((150, 140, 88), (84, 110, 50))[rng.random() < 0.4]
        )
        width = max(1, round(w / 1920 * (1 + 2.5 * depth)))
        draw.line([(x, y), (x + lean, y - length)], fill=colour, width=width)


def flash_falloff(y: np.ndarray | float, horizon: float, height: int) -> np.ndarray:
    """Infrared flash brightness of ground at image row ``y`` (near rows brighter)."""
    below = np.clip(
        (np.asarray(y, dtype=np.float32) - horizon) / (height - horizon), 0, 1
    )
    return 0.22 + 0.95 * below**0.6


def _night(day: np.ndarray, horizon: float) -> np.ndarray:
    """Infrared look: vegetation bright, flash fall-off with distance and angle."""
    h, w = day.shape[:2]
    grey = day.astype(np.float32) @ np.array([0.3, 0.6, 0.1], dtype=np.float32)
    y = np.arange(h, dtype=np.float32)[:, None]
    falloff = flash_falloff(y, horizon, h)
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    r2 = x**2 + ((y / h - 0.6) * 1.6) ** 2
    return np.clip(grey * falloff * (1.15 - 0.45 * r2), 0, 255).astype(np.uint8)


@lru_cache(maxsize=24)
def station_scene(seed: int, key: int, width: int, height: int) -> Scene:
    """The background of station ``key`` (any int; catalogue scenes use others)."""
    rng = stream(seed, "background", key)
    w, h = width, height
    horizon = h * rng.uniform(0.38, 0.47)
    sky = np.linspace([176, 190, 204], [206, 210, 204], h, dtype=np.float32)
    ground = np.array(_GROUNDS[rng.integers(len(_GROUNDS))], dtype=np.float32)
    rows = np.arange(h)[:, None, None]
    base = np.where(rows < horizon, sky[:, None, :], ground * (0.8 + 0.3 * rows / h))
    img = Image.fromarray(np.broadcast_to(base, (h, w, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    _canopy_and_trunks(draw, rng, w, h, horizon)
    for _ in range(int(rng.integers(1, 4))):  # stones and a log
        cx, cy = rng.random() * w, horizon + (h - horizon) * rng.uniform(0.1, 0.9)
        rx, ry = w * rng.uniform(0.02, 0.08), h * rng.uniform(0.01, 0.03)
        g = int(rng.integers(70, 105))
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=(g, g - 4, g - 12))
        draw.ellipse(
            [cx - rx * 0.7, cy - ry, cx + rx * 0.5, cy], fill=(g + 25, g + 20, g + 12)
        )
    _grass(draw, rng, w, h, horizon)
    arr = np.asarray(img, dtype=np.float32)
    light = (
        1 + 0.14 * smooth_noise(rng, (h, w), 10) + 0.06 * smooth_noise(rng, (h, w), 90)
    )
    day = np.clip(arr * light[..., None], 0, 255).astype(np.uint8)
    return Scene(
        day=day, night=_night(day, horizon), horizon_y=horizon, focal_px=0.9 * w
    )
