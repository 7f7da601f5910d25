"""Turn an actor (lynx, fox, person) into a textured, deformed, blurred patch.

The coat texture is laid on the silhouette, then the whole figure is warped by
a smooth random displacement field plus a body bend and a horizontal squeeze
(walking at an angle).  This non-rigid pose change is what makes
re-identification non-trivial: spots keep their arrangement but not their exact
geometry, as on a real, moving animal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from trapline.simulate import shapes
from trapline.simulate.settings import Difficulty
from trapline.simulate.textures import flank_texture, fox_texture

_JACKETS = ((170, 40, 35), (45, 80, 140), (70, 95, 55), (225, 120, 30), (40, 40, 45))


@dataclass(frozen=True)
class Actor:
    """One figure in one frame; all fields are plain data so jobs pickle cheaply."""

    kind: str
    """``lynx``, ``fox`` or ``person``."""
    coat_seed: int
    """Lynx: the individual's coat seed.  Fox/person: a per-event look."""
    facing: str
    """Image direction of the head; a lynx facing right shows its right flank."""
    distance_m: float
    x_frac: float
    """Horizontal centre of the figure, as a fraction of the frame width."""
    pose: shapes.Pose
    size: float = 1.0
    """Relative body size (a juvenile is smaller)."""

    @property
    def flank(self) -> str | None:
        """Flank visible to the camera (None for non-lynx)."""
        return self.facing if self.kind == "lynx" else None


@dataclass(frozen=True)
class Patch:
    """A rendered figure, premultiplied: RGB 0-255 times alpha, alpha 0-1."""

    rgba: np.ndarray
    ground_y: float
    """Row of the paw line inside the patch, for standing it on the ground."""
    box: tuple[int, int, int, int] | None
    """Tight box (x0, y0, x1, y1) of the silhouette inside the patch, pre-blur."""


def _layers(actor: Actor, scale: float) -> tuple[shapes.Layers, np.ndarray]:
    if actor.kind == "lynx":
        return shapes.lynx(scale, actor.pose), flank_texture(
            actor.coat_seed, actor.facing
        )
    if actor.kind == "fox":
        return shapes.fox(scale, actor.pose), fox_texture(actor.coat_seed)
    jacket = _JACKETS[actor.coat_seed % len(_JACKETS)]
    layers = shapes.person(scale, actor.pose, jacket)
    return layers, np.full((8, 8, 3), 128, dtype=np.uint8)


def _mesh(rng, w_in: int, h_in: int, ground: float, diff: Difficulty):
    """Quads mapping the output patch back onto the flat figure (Pillow MESH)."""
    squeeze = 1 - rng.uniform(0, diff.foreshortening_max)
    margin = math.ceil(0.1 * h_in) + 2
    w_out, h_out = math.ceil(w_in * squeeze) + 2 * margin, h_in + 2 * margin
    gx, gy = 12, 8
    xs, ys = np.meshgrid(np.linspace(0, w_out, gx + 1), np.linspace(0, h_out, gy + 1))
    top_weight = np.clip(1 - (ys - margin) / ground, 0, 1)  # feet stay planted
    along = (xs - margin) / max(1.0, w_out - 2 * margin)
    bend = rng.uniform(-diff.bend_max, diff.bend_max) * h_in
    coarse = rng.standard_normal((2, 3, 4)) * diff.deformation * h_in
    field = ndimage.zoom(
        coarse, (1, (gy + 1) / 3, (gx + 1) / 4), order=3, mode="nearest"
    )
    fade = 0.3 + 0.7 * top_weight
    src_x = (xs - margin) / squeeze + field[0] * fade
    src_y = (
        ys - margin + field[1] * fade + bend * (1 - 4 * (along - 0.5) ** 2) * top_weight
    )
    quads = []
    for j in range(gy):
        for i in range(gx):
            box = (
                round(xs[j, i]),
                round(ys[j, i]),
                round(xs[j, i + 1]),
                round(ys[j + 1, i]),
            )
            corners = [(j, i), (j + 1, i), (j + 1, i + 1), (j, i + 1)]
            quads.append((box, tuple(v for c in corners for v in (src_x[c], src_y[c]))))
    return (w_out, h_out), quads, margin


def render_actor(
    actor: Actor,
    scale: float,
    diff: Difficulty,
    rng: np.random.Generator,
    blur_unit: float,
) -> Patch:
    """Render ``actor`` at ``scale`` px per unit of its height.

    ``blur_unit`` converts the difficulty's blur lengths (given for a 1920-wide
    frame) to this frame's pixels.
    """
    layers, texture = _layers(actor, scale * actor.size)
    mask, shade, overlay = layers.mask, layers.shade, layers.overlay
    h_in, w_in = mask.shape
    if actor.facing == "left":  # flip geometry only; the flank texture is not
        mask, shade, overlay = mask[:, ::-1], shade[:, ::-1], overlay[:, ::-1]
    tex = np.asarray(Image.fromarray(texture).resize((w_in, h_in), Image.BILINEAR))
    light = 1 + rng.uniform(-0.25, 0.25) * np.linspace(-1, 1, w_in, dtype=np.float32)
    alpha = overlay[..., 3:]
    rgb = (tex * (1 - alpha) + overlay[..., :3] * 255 * alpha) * (shade * light)[
        ..., None
    ]
    rgba = np.dstack([np.clip(rgb, 0, 255), mask * 255]).astype(np.uint8)
    size, quads, margin = _mesh(rng, w_in, h_in, layers.ground_y, diff)
    warped = Image.fromarray(rgba, "RGBA").convert("RGBa")
    warped = warped.transform(size, Image.Transform.MESH, quads, Image.BILINEAR)
    out = np.asarray(warped, dtype=np.float32)
    out[..., 3] /= 255.0
    rows = np.flatnonzero((out[..., 3] > 0.5).any(axis=1))
    cols = np.flatnonzero((out[..., 3] > 0.5).any(axis=0))
    box = (
        (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
        if len(rows)
        else None
    )
    streak = round(rng.uniform(0, diff.blur_max_px) * blur_unit)
    if streak >= 2:  # motion blur along the direction of travel
        out = ndimage.uniform_filter1d(out, streak, axis=1)
    if rng.random() < diff.defocus_prob:
        sigma = rng.uniform(1.0, 2.5) * blur_unit
        out = ndimage.gaussian_filter(out, (sigma, sigma, 0))
    return Patch(rgba=out, ground_y=layers.ground_y + margin, box=box)
