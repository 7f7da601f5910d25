"""Compose one camera frame: background, figures, vegetation, light, noise.

Full-frame work is done with Pillow's C routines (tone-curve lookup table,
noise addition, JPEG encoding) and numpy touches only the small regions where
figures are pasted, which keeps a 1920x1080 frame around a few tens of ms.
Everything random comes from the frame's own seed, so a frame renders to the
same bytes in any process and in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from trapline.simulate.animals import Actor, render_actor
from trapline.simulate.background import Scene, flash_falloff, station_scene
from trapline.simulate.settings import Difficulty, SeasonSettings
from trapline.simulate.shapes import HEIGHT_M

Box = tuple[float, float, float, float]
_NOISE_PAD = 32


@dataclass(frozen=True)
class FrameSpec:
    """Everything needed to draw one frame, apart from the season settings."""

    scene_key: int
    seed: int
    night: bool
    dimness: float
    """Daylight level: 1 at midday, lower at dawn and dusk."""
    actors: tuple[Actor, ...] = ()
    vegetation: bool = False
    """Draw foreground grass or a branch (over a figure when there is one)."""


@lru_cache(maxsize=4)
def _noise(
    seed: int, width: int, height: int, channels: int, sigma: float
) -> Image.Image:
    """A padded sensor-noise image centred on 128; frames crop it at random."""
    rng = np.random.default_rng([seed, channels, 7])
    shape = (height + _NOISE_PAD, width + _NOISE_PAD) + (
        (channels,) if channels > 1 else ()
    )
    values = np.clip(128 + rng.normal(0, sigma, shape), 0, 255).astype(np.uint8)
    return Image.fromarray(values)


def _paste(frame: np.ndarray, rgba: np.ndarray, x0: int, y0: int) -> None:
    """Alpha-composite a premultiplied patch into ``frame`` in place, clipped."""
    h, w = frame.shape[:2]
    ph, pw = rgba.shape[:2]
    fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + pw, w), min(y0 + ph, h)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    sub = rgba[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    colour, alpha = sub[..., :-1], sub[..., -1:]
    if region.ndim == 2:  # grey infrared frame
        colour, alpha = colour[..., 0], alpha[..., 0]
    frame[fy0:fy1, fx0:fx1] = np.clip(region * (1 - alpha) + colour, 0, 255).astype(
        np.uint8
    )


def _vegetation(
    draw, rng, target: tuple[int, int, int, int], size, night: bool
) -> None:
    """Foreground grass blades or a branch across ``target`` (x0, y0, x1, y1 px).

    At night the vegetation is close to the flash, so it is drawn bright grey.
    """
    w, h = size
    x0, y0, x1, y1 = target
    if rng.random() < 0.7:
        for _ in range(int(rng.integers(4, 14))):
            bx = rng.uniform(x0, x1)
            top = y0 + (y1 - y0) * rng.uniform(0.1, 0.8)
            half = w * rng.uniform(0.002, 0.006)
            lean = rng.normal(0, 0.1) * (h - top)
            tone = rng.uniform(0.7, 1.1)
            colour = (
                int(200 * tone)
                if night
                else tuple(int(c * tone) for c in (88, 112, 48))
            )
            draw.polygon(
                [(bx - half, h), (bx + half, h), (bx + lean, top)], fill=colour
            )
        return
    ya, yb = rng.uniform(y0, y1, 2)
    colour = 190 if night else (74, 58, 42)
    draw.line(
        [(x0 - (x1 - x0) * 0.3, ya), (x1 + (x1 - x0) * 0.3, yb)],
        fill=colour,
        width=max(2, round(w * rng.uniform(0.004, 0.01))),
    )
    for t in rng.random(6):
        cx, cy = x0 + t * (x1 - x0), ya + t * (yb - ya)
        r = w * 0.012
        leaf = 215 if night else (70, 120, 45)
        draw.ellipse([cx - r, cy - r * 0.5, cx + r, cy + r * 0.5], fill=leaf)


def _tone(img: Image.Image, rng, spec: FrameSpec, diff: Difficulty) -> Image.Image:
    """Exposure gain, white balance and gamma as one lookup table per channel."""
    gain = spec.dimness * np.exp(rng.normal(0, diff.gain_jitter))
    gamma = np.exp(rng.normal(0, diff.gamma_jitter))
    channels = len(img.getbands())
    balance = np.exp(rng.normal(0, diff.white_balance_jitter, channels))
    if spec.night:
        balance[:] = 1.0
    levels = (np.arange(256) / 255.0) ** gamma
    lut = np.clip(255 * levels[None, :] * gain * balance[:, None], 0, 255).round()
    return img.point(lut.astype(int).ravel().tolist())


def _place(scene: Scene, actor: Actor, patch, width: int) -> tuple[int, int]:
    pw = patch.rgba.shape[1]
    return round(actor.x_frac * width - pw / 2), round(
        scene.ground_y(actor.distance_m) - patch.ground_y
    )


def render_frame(
    spec: FrameSpec, settings: SeasonSettings
) -> tuple[Image.Image, list[Box | None]]:
    """Draw a frame; return it with each actor's true box (fractions, clipped).

    Boxes are the tight silhouette boxes before occlusion, in MegaDetector
    convention (x, y, w, h from the top-left), in the order of ``spec.actors``.
    """
    w, h, diff = settings.width, settings.height, settings.difficulty
    scene = station_scene(settings.seed, spec.scene_key, w, h)
    rng = np.random.default_rng(spec.seed)
    frame = (scene.night if spec.night else scene.day).copy()
    boxes: list[Box | None] = [None] * len(spec.actors)
    pixel_boxes = []
    for i in sorted(range(len(spec.actors)), key=lambda k: -spec.actors[k].distance_m):
        actor = spec.actors[i]
        scale = scene.focal_px * HEIGHT_M[actor.kind] / actor.distance_m
        patch = render_actor(actor, scale, diff, rng, w / 1920)
        x0, y0 = _place(scene, actor, patch, w)
        rgba = patch.rgba
        if spec.night:  # infrared: luminance only; fur reflects IR a bit more than soil
            ground = scene.ground_y(actor.distance_m)
            flash = 1.3 * float(flash_falloff(ground, scene.horizon_y, h))
            grey = rgba[..., :3] @ np.array([0.3, 0.6, 0.1], dtype=np.float32) * flash
            rgba = np.dstack([grey, rgba[..., 3]])
        _paste(frame, rgba, x0, y0)
        if patch.box is None:
            continue
        bx0, by0 = max(0, x0 + patch.box[0]), max(0, y0 + patch.box[1])
        bx1, by1 = min(w, x0 + patch.box[2]), min(h, y0 + patch.box[3])
        if bx1 > bx0 and by1 > by0:
            pixel_boxes.append((bx0, by0, bx1, by1))
            bx, by = round(float(bx0) / w, 4), round(float(by0) / h, 4)
            boxes[i] = (
                bx,
                by,
                min(round((bx1 - bx0) / w, 4), 1 - bx),
                min(round((by1 - by0) / h, 4), 1 - by),
            )
    img = Image.fromarray(frame)
    if spec.vegetation:
        if pixel_boxes:
            target = pixel_boxes[int(rng.integers(len(pixel_boxes)))]
        else:
            cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.55, 0.85) * h
            target = (
                round(cx - 0.1 * w),
                round(cy - 0.1 * h),
                round(cx + 0.1 * w),
                round(cy),
            )
        _vegetation(ImageDraw.Draw(img), rng, target, (w, h), spec.night)
    img = _tone(img, rng, spec, diff)
    channels = 1 if spec.night else 3
    sigma = diff.noise_night if spec.night else diff.noise_day
    noise = _noise(settings.seed, w, h, channels, sigma)
    ox, oy = (int(v) for v in rng.integers(0, _NOISE_PAD, 2))
    img = ImageChops.add(img, noise.crop((ox, oy, ox + w, oy + h)), 1.0, -128)
    return (img.convert("RGB") if spec.night else img), boxes


def render_crop(
    spec: FrameSpec, settings: SeasonSettings, margin: float = 0.08
) -> Image.Image:
    """The first actor's box plus a small margin: a catalogue reference crop."""
    img, boxes = render_frame(spec, settings)
    x, y, bw, bh = boxes[0] or (0.0, 0.0, 1.0, 1.0)
    w, h = img.size
    pad_x, pad_y = bw * margin * w, bh * margin * h
    return img.crop(
        (
            max(0, round(x * w - pad_x)),
            max(0, round(y * h - pad_y)),
            min(w, round((x + bw) * w + pad_x)),
            min(h, round((y + bh) * h + pad_y)),
        )
    )
