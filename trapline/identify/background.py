"""Each deployment's static background, so keypoints on the scenery are dropped.

Two *different* animals photographed at one station share every background
keypoint (see :mod:`trapline.identify.localfeatures`). Camera traps do not move,
so a deployment's background is the per-pixel median of its frames with the
animals cut out, and a crop's animal is where the crop differs from it.

A median needs frames of one size: a camera replaced mid-season (another model,
another resolution) splits its deployment's frames, so there is one background
per (deployment, frame size, light regime), and a crop takes the one of its
frame's size.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from trapline.identify.cache import load_npz, save_npz
from trapline.identify.localfeatures import FeatureSettings, is_infrared, read_rgb

BackgroundKey = tuple[str, tuple[int, int], bool]
"""(deployment, full-resolution frame size (width, height), infrared)."""

_FORMAT = "2"
"""Cache layout version (1 named arrays ``day``/``ir``, without the frame size)."""

_ARRAY = re.compile(r"^(day|ir)-(\d+)x(\d+)$")
_BOXES = ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]


def build_backgrounds(
    images: pd.DataFrame,
    crops: pd.DataFrame,
    images_root: Path,
    settings: FeatureSettings,
    cache: Path | None = None,
) -> dict[BackgroundKey, np.ndarray]:
    """Median background per (deployment, frame size, infrared) at ``background_scale``.

    Day and IR frames look nothing alike, so each light regime gets its own
    median; frames of another size cannot share a median. Animal boxes are
    blanked before the median so a lingering animal does not become background.
    A (size, regime) with fewer than 3 frames has no background (its crops fall
    back to the interior of their box).

    Args:
        images: ``image_id, path, deployment_id`` (path relative to images_root).
        crops: ``image_id, bbox_x..bbox_h`` of every detected animal.
        cache: folder for ``background-*.npz``, one per deployment, keyed by the
            frames used and the boxes blanked in them (both change the median).
    """
    boxes = crops.groupby("image_id")[_BOXES]
    box_of = {key: group.to_numpy() for key, group in boxes}
    out: dict[BackgroundKey, np.ndarray] = {}
    for deployment, group in images.groupby("deployment_id", sort=True):
        deployment = str(deployment)
        stored = (
            cache / f"background-{_cache_key(group, box_of, settings)}.npz"
            if cache
            else None
        )
        found = _named(load_npz(stored))
        if found is None:
            found = _medians(group, box_of, images_root, settings)
            if stored is not None:
                save_npz(
                    stored, compressed=True, **{_name(k): v for k, v in found.items()}
                )
        out |= {(deployment, size, ir): array for (size, ir), array in found.items()}
    return out


def background_digest(background: np.ndarray) -> str:
    """Short hash of a background's pixels: what a crop's mask depends on."""
    digest = hashlib.sha1(repr(background.shape).encode())
    digest.update(np.ascontiguousarray(background).tobytes())
    return digest.hexdigest()[:16]


def _cache_key(
    group: pd.DataFrame, box_of: dict[str, np.ndarray], settings: FeatureSettings
) -> str:
    digest = hashlib.sha1(f"{settings.fingerprint()}|{_FORMAT}".encode())
    for image_id in sorted(group["image_id"]):
        boxes = sorted(box_of[image_id].tolist()) if image_id in box_of else []
        digest.update(f"|{image_id}:{boxes!r}".encode())
    return digest.hexdigest()[:16]


def _name(key: tuple[tuple[int, int], bool]) -> str:
    (width, height), infrared = key
    return f"{'ir' if infrared else 'day'}-{width}x{height}"


def _named(
    arrays: dict[str, np.ndarray] | None,
) -> dict[tuple[tuple[int, int], bool], np.ndarray] | None:
    """Cached arrays by (frame size, infrared); None for another layout."""
    if arrays is None:
        return None
    out = {}
    for name, array in arrays.items():
        match = _ARRAY.match(name)
        if match is None or array.ndim != 3:
            return None
        size = (int(match.group(2)), int(match.group(3)))
        out[(size, match.group(1) == "ir")] = array
    return out


def _medians(
    group: pd.DataFrame,
    box_of: dict[str, np.ndarray],
    images_root: Path,
    settings: FeatureSettings,
) -> dict[tuple[tuple[int, int], bool], np.ndarray]:
    """The medians of one deployment's frames, per (frame size, infrared)."""
    stacks: dict[tuple[tuple[int, int], bool], list[np.ndarray]] = defaultdict(list)
    for image_id, rel in zip(group["image_id"], group["path"], strict=True):
        path = images_root / rel
        if not path.is_file():
            continue
        frame = read_rgb(path)
        size = (frame.shape[1], frame.shape[0])
        rgb = cv2.resize(
            frame,
            None,
            fx=settings.background_scale,
            fy=settings.background_scale,
            interpolation=cv2.INTER_AREA,
        ).astype(np.float32)
        key = (size, is_infrared(rgb))  # before the boxes are blanked (NaN)
        h, w = rgb.shape[:2]
        for x, y, bw, bh in box_of.get(image_id, ()):
            rgb[
                int(y * h) : int(np.ceil((y + bh) * h)),
                int(x * w) : int(np.ceil((x + bw) * w)),
            ] = np.nan
        stacks[key].append(rgb)
    return {
        key: np.nanmedian(np.stack(frames), axis=0).astype(np.float32)
        for key, frames in sorted(stacks.items())
        if len(frames) >= 3
    }


def foreground_mask(
    crop: np.ndarray,
    background: np.ndarray,
    box: tuple[int, int, int, int],
    settings: FeatureSettings,
) -> np.ndarray:
    """Pixels of ``crop`` that are not the static background (bool, crop-sized).

    Exposure varies from frame to frame, so the background is first matched to
    the crop by a per-channel gain measured on the crop's margin outside the
    animal's box (which is background up to vegetation and companions; the
    median shrugs those off). Pixels inside the box with a large difference are
    the animal; morphology removes noise specks and fills spot-sized holes.

    Args:
        crop: RGB crop, full resolution.
        background: the same region of the background (any size; resized here).
        box: the animal's box within the crop, pixels (x0, y0, x1, y1).
    """
    h, w = crop.shape[:2]
    bg = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    nan = np.isnan(bg).any(axis=2)
    x0, y0, x1, y1 = box
    ring = np.ones((h, w), bool)
    ring[y0:y1, x0:x1] = False
    ring &= ~nan
    img = crop.astype(np.float32)
    if ring.sum() > 20:
        gain = np.median(img[ring], axis=0) / np.maximum(np.median(bg[ring], axis=0), 1)
        bg = bg * np.clip(gain, 0.5, 2.0)
    diff = np.nan_to_num(np.abs(img - bg).max(axis=2), nan=255.0)
    spread = 1.4826 * np.median(diff[ring]) if ring.sum() > 20 else 0.0
    mask = diff > max(settings.fg_floor, settings.fg_threshold * spread)
    inside = np.zeros_like(mask)
    inside[y0:y1, x0:x1] = True
    mask &= inside
    size = max(3, int(round(0.03 * (y1 - y0))) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=3)
    mask = _fill_holes(mask.astype(bool)).astype(np.uint8)
    return cv2.dilate(mask, kernel, iterations=2).astype(bool) & inside


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Dark spots can look like a dark background; enclosed by fur, they stay."""
    outside = np.pad(~mask, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)
    return outside[1:-1, 1:-1] != 2
