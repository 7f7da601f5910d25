"""Side-view silhouettes of lynx, fox and people, drawn at any scale.

Shapes are defined in "units" of the animal's height (ground at y = 1, head to
the right) and rasterised with Pillow into three layers: a coverage mask, a
shading multiplier (body roundness, far-side legs in shadow) and a colour
overlay for features that are not coat (ears, tufts, eyes, nose, tail tip).
The coat texture is applied by ``animals.py``; keeping it out of this module
is what lets a left-facing animal flip its geometry without flipping its coat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

EXTENT: dict[str, tuple[float, float, float, float]] = {
    # x_min, x_max, y_min, y_max in units; the lynx extent is the texture extent
    "lynx": (0.0, 1.55, -0.12, 1.03),
    "fox": (-0.5, 1.5, -0.08, 1.03),
    "person": (-0.3, 0.3, -0.02, 1.02),
}
HEIGHT_M = {"lynx": 0.75, "fox": 0.5, "person": 1.75}
"""Metres per unit: the real height of each figure, for perspective scaling."""


@dataclass(frozen=True)
class Pose:
    """Per-frame posture: gait phase, head carriage and tail angle."""

    phase: float = 0.0
    head: float = 0.0
    tail: float = 0.0
    night: bool = False


@dataclass(frozen=True)
class Layers:
    """Rasterised figure, head to the right; ``ground_y`` is the paw line (px)."""

    mask: np.ndarray
    shade: np.ndarray
    overlay: np.ndarray
    ground_y: float


class _Pen:
    """Draws unit-space primitives onto the three layers at ``scale`` px/unit."""

    def __init__(self, kind: str, scale: float):
        x0, x1, y0, y1 = EXTENT[kind]
        self.s, self.x0, self.y0 = scale, x0, y0
        self.size = (
            max(4, math.ceil((x1 - x0) * scale)),
            max(4, math.ceil((y1 - y0) * scale)),
        )
        self.mask = Image.new("L", self.size, 0)
        self.far = Image.new("L", self.size, 0)
        self.overlay = Image.new("RGBA", self.size, (0, 0, 0, 0))
        self.dm, self.df = ImageDraw.Draw(self.mask), ImageDraw.Draw(self.far)
        self.do = ImageDraw.Draw(self.overlay)

    def p(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.x0) * self.s, (y - self.y0) * self.s)

    def _fill(self, method: str, geometry, far: bool, colour, **kw) -> None:
        """Colour features go to the overlay; body parts to the mask, and to the
        far-side shadow layer -- set for far legs, cleared by nearer parts."""
        if colour:
            getattr(self.do, method)(geometry, fill=colour, **kw)
            return
        getattr(self.dm, method)(geometry, fill=255, **kw)
        getattr(self.df, method)(geometry, fill=255 if far else 0, **kw)

    def ellipse(self, cx, cy, rx, ry, far=False, colour=None):
        box = [self.p(cx - rx, cy - ry), self.p(cx + rx, cy + ry)]
        self._fill("ellipse", box, far, colour)

    def poly(self, pts, far=False, colour=None):
        self._fill("polygon", [self.p(x, y) for x, y in pts], far, colour)

    def limb(self, pts, width, far=False, colour=None):
        xy = [self.p(x, y) for x, y in pts]
        w = max(1, round(width * self.s))
        self._fill("line", xy, far, colour, width=w, joint="curve")
        for x, y in pts:
            self.ellipse(x, y, width / 2, width / 2, far=far, colour=colour)

    def layers(self, body_top: float, body_bottom: float) -> Layers:
        h = self.size[1]
        y = (np.arange(h, dtype=np.float32) / self.s + self.y0)[:, None]
        t = np.clip((y - body_top) / (body_bottom - body_top), 0, 1)
        shade = 0.72 + 0.38 * np.sin(np.pi * np.clip(t * 0.9 + 0.08, 0, 1))
        shade = np.where(y > body_bottom, 0.92, shade)  # legs are lit, not belly-dark
        far = np.asarray(self.far, dtype=np.float32) / 255
        return Layers(
            mask=np.asarray(self.mask, dtype=np.float32) / 255,
            shade=(shade * (1 - 0.25 * far)).astype(np.float32),
            overlay=np.asarray(self.overlay, dtype=np.float32) / 255,
            ground_y=(1.0 - self.y0) * self.s,
        )


def _legs(
    pen: _Pen,
    pose: Pose,
    front: float,
    hind: float,
    length: float,
    width: float,
    sock: tuple[int, int, int, int] | None = None,
):
    """Four walking legs; far-side legs first, shaded, half a stride out of phase.

    ``sock`` colours the lower legs (the fox's black "stockings").
    """
    stride = 0.12
    for far, shift in ((True, math.pi), (False, 0.0)):
        for hip_x, lag, knee_dx in ((hind, math.pi / 2, 0.08), (front, 0.0, -0.02)):
            ph = pose.phase + shift + lag
            foot_x = hip_x + stride * math.sin(ph)
            lift = 0.05 * max(0.0, math.cos(ph))
            top = 1.0 - length
            knee = (hip_x + knee_dx, top + length * 0.45)
            ankle = (foot_x - knee_dx * 0.6, 1.0 - length * 0.18 - lift)
            foot = (foot_x + 0.02, 0.985 - lift)
            pen.limb([(hip_x, top), knee, ankle, foot], width, far)
            if sock:
                pen.limb([ankle, foot], width, colour=sock)


def lynx(scale: float, pose: Pose) -> Layers:
    """Eurasian lynx: long legs, big paws, short black-tipped tail, ear tufts."""
    pen, h = _Pen("lynx", scale), pose.head
    _legs(pen, pose, front=1.02, hind=0.42, length=0.5, width=0.1)
    pen.ellipse(0.45, 0.44, 0.22, 0.19)
    pen.ellipse(0.74, 0.46, 0.36, 0.17)
    pen.ellipse(1.0, 0.46, 0.2, 0.2)
    pen.poly([(1.02, 0.3), (1.2, 0.16 + h), (1.33, 0.28 + h), (1.15, 0.56)])
    pen.ellipse(1.28, 0.24 + h, 0.12, 0.12)
    pen.ellipse(1.38, 0.29 + h, 0.075, 0.058)
    pen.limb([(0.26, 0.33), (0.14, 0.4 + pose.tail)], 0.075)
    pen.poly([(1.18, 0.18 + h), (1.23, 0.03 + h), (1.3, 0.15 + h)])
    # colour features: ruff, ear backs and tufts, muzzle, eye, nose, tail tip
    pen.poly(
        [(1.17, 0.25 + h), (1.21, 0.42 + h), (1.33, 0.35 + h)],
        colour=(214, 200, 176, 170),
    )
    pen.poly(
        [(1.205, 0.12 + h), (1.23, 0.03 + h), (1.26, 0.1 + h)], colour=(35, 28, 22, 230)
    )
    pen.limb([(1.23, 0.04 + h), (1.235, -0.08 + h)], 0.018, colour=(20, 16, 14, 255))
    pen.ellipse(1.39, 0.31 + h, 0.06, 0.04, colour=(232, 222, 205, 170))
    eye = (235, 240, 215, 255) if pose.night else (52, 44, 20, 255)
    pen.ellipse(1.33, 0.22 + h, 0.022, 0.015, colour=eye)
    pen.ellipse(1.445, 0.275 + h, 0.014, 0.012, colour=(45, 32, 30, 255))
    pen.ellipse(0.14, 0.4 + pose.tail, 0.04, 0.04, colour=(18, 15, 12, 255))
    return pen.layers(0.26, 0.64)


def fox(scale: float, pose: Pose) -> Layers:
    """Red fox: slim, low, pointed snout, big plain ears, long bushy tail."""
    pen, h = _Pen("fox", scale), pose.head
    _legs(pen, pose, 1.0, 0.36, length=0.48, width=0.07, sock=(30, 22, 18, 230))
    pen.ellipse(0.66, 0.42, 0.44, 0.15)
    pen.poly([(0.95, 0.32), (1.15, 0.18 + h), (1.25, 0.3 + h), (1.05, 0.55)])
    pen.ellipse(1.18, 0.26 + h, 0.1, 0.09)
    pen.poly([(1.22, 0.2 + h), (1.45, 0.3 + h), (1.2, 0.35 + h)])
    pen.poly([(1.1, 0.2 + h), (1.13, 0.03 + h), (1.2, 0.18 + h)])
    tail = [(0.26, 0.36), (-0.05, 0.48 + pose.tail), (-0.4, 0.58 + pose.tail)]
    pen.limb(tail, 0.16)
    pen.ellipse(-0.4, 0.58 + pose.tail, 0.07, 0.06, colour=(236, 232, 224, 255))
    pen.poly([(1.05, 0.38), (1.3, 0.32 + h), (1.12, 0.56)], colour=(232, 226, 214, 200))
    pen.poly(
        [(1.115, 0.08 + h), (1.13, 0.03 + h), (1.16, 0.09 + h)],
        colour=(25, 20, 18, 255),
    )
    eye = (235, 240, 215, 255) if pose.night else (40, 25, 10, 255)
    pen.ellipse(1.22, 0.24 + h, 0.018, 0.012, colour=eye)
    pen.ellipse(1.445, 0.3 + h, 0.014, 0.012, colour=(25, 20, 18, 255))
    return pen.layers(0.27, 0.57)


def person(scale: float, pose: Pose, jacket: tuple[int, int, int]) -> Layers:
    """Upright walking person, facing right: legs, torso, arms, head."""
    pen = _Pen("person", scale)
    swing = 0.1 * math.sin(pose.phase)
    trousers = (55, 58, 52, 255)
    for sign, far in ((-1, True), (1, False)):
        pen.limb(
            [(0.0, 0.52), (sign * swing, 0.75), (sign * swing * 1.4, 0.97)], 0.075, far
        )
        pen.limb(
            [(0.0, 0.52), (sign * swing, 0.75), (sign * swing * 1.4, 0.97)],
            0.075,
            colour=trousers,
        )
    pen.poly([(-0.1, 0.2), (0.1, 0.2), (0.09, 0.55), (-0.09, 0.55)])
    pen.poly(
        [(-0.1, 0.2), (0.1, 0.2), (0.09, 0.55), (-0.09, 0.55)], colour=(*jacket, 255)
    )
    for sign in (-1, 1):
        arm = [(0.0, 0.22), (-sign * swing * 0.8, 0.38), (-sign * swing, 0.52)]
        pen.limb(arm, 0.06)
        pen.limb(arm, 0.06, colour=(*jacket, 255))
    pen.ellipse(0.02, 0.11, 0.065, 0.08)
    pen.ellipse(0.02, 0.11, 0.065, 0.08, colour=(205, 165, 140, 255))
    pen.ellipse(0.0, 0.06, 0.07, 0.04, colour=(60, 50, 40, 255))
    return pen.layers(0.2, 0.55)
