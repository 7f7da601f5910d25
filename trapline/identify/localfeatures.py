"""Local-feature verification: RootSIFT on the animal only, ratio test, RANSAC.

Needs no model weights, so the offline demo and a first season without a trained
embedder still identify animals. Background is the enemy: camera traps are static,
so two *different* animals photographed at one station share every background
keypoint, and unmasked SIFT+RANSAC then matches scenes, not coats (it ranked at
chance on wild nyala crops). So only keypoints on the animal are kept: on season
crops where they differ from their deployment's background
(:mod:`trapline.identify.background`), on catalogue images in the interior of the
animal's box. :mod:`trapline.identify.features` computes and caches the features
of crops and references.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class FeatureSettings:
    """Config ``identify.local``.

    Args:
        box_height: every animal is rescaled so its box is this tall, so one RANSAC
            tolerance in pixels means the same share of the body for near and far
            animals and for high-resolution catalogue photographs.
        max_upscale: small, distant animals are enlarged at most this much (more
            only invents blur that SIFT would pick up as structure).
        max_keypoints: strongest keypoints kept per image (bounds matching cost).
        ratio: Lowe's ratio test; spots are repetitive, so a strict ratio keeps
            only distinctive correspondences.
        ransac_px: RANSAC tolerance at ``box_height``; loose because bodies bend,
            stretch and walk at an angle (a single affine map is only approximate).
        min_inliers: fewer inliers than this is scored 0 (any 3 points fit an
            affine map, so tiny counts are noise).
        background_scale: backgrounds are estimated at this fraction of full size.
        fg_threshold: a pixel is foreground when it differs from the gain-matched
            background by more than this many robust standard deviations ...
        fg_floor: ... and by at least this many grey levels (flat night frames
            have tiny spreads).
        interior: fallback mask without background: the central part of the box
            (this fraction of width and height), where the body is.
    """

    box_height: int = 256
    max_upscale: float = 2.5
    max_keypoints: int = 600
    ratio: float = 0.8
    ransac_px: float = 14.0
    min_inliers: int = 6
    background_scale: float = 0.25
    fg_threshold: float = 4.0
    fg_floor: float = 10.0
    interior: float = 0.9

    def fingerprint(self) -> str:
        """Short hash naming cached features, so changed settings never reuse them."""
        text = repr(sorted(asdict(self).items()))
        return hashlib.sha1(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Features:
    """Keypoint positions (pixels at the normalised scale) and RootSIFT descriptors.

    ``key`` names exactly what the features were computed from (the image, its
    box, its background, the settings), so results derived from them (the inlier
    counts in ``pairs.parquet``) can be cached under it and are never reused once
    any of those change.
    """

    xy: np.ndarray
    descriptors: np.ndarray
    key: str = ""

    def __len__(self) -> int:
        return len(self.xy)


EMPTY = Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32))


def is_infrared(rgb: np.ndarray) -> bool:
    """IR night frames are grey (R = G = B up to JPEG noise)."""
    small = rgb[::8, ::8].astype(np.int16)
    return float(np.abs(small[..., 0] - small[..., 2]).mean()) < 2.0


def read_rgb(path: str | Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def interior_mask(
    shape: tuple[int, int], box: tuple[int, int, int, int], settings: FeatureSettings
) -> np.ndarray:
    """The central part of the box: the fallback when no background is known."""
    x0, y0, x1, y1 = box
    mx = (x1 - x0) * (1 - settings.interior) / 2
    my = (y1 - y0) * (1 - settings.interior) / 2
    mask = np.zeros(shape, bool)
    mask[int(y0 + my) : int(np.ceil(y1 - my)), int(x0 + mx) : int(np.ceil(x1 - mx))] = 1
    return mask


def _sift(settings: FeatureSettings) -> cv2.SIFT:
    return cv2.SIFT_create(nfeatures=settings.max_keypoints, contrastThreshold=0.02)


def extract(
    crop: np.ndarray,
    mask: np.ndarray,
    box: tuple[int, int, int, int],
    settings: FeatureSettings,
) -> Features:
    """RootSIFT keypoints of ``crop`` whose centres lie on ``mask``.

    The crop is rescaled so the box is ``box_height`` tall and contrast-equalised
    (CLAHE), because catalogue photographs are bright daylight colour while most
    season frames are dim infrared.
    """
    box_h = max(1, box[3] - box[1])
    scale = min(settings.box_height / box_h, settings.max_upscale)
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(grey)
    small = cv2.resize(
        mask.astype(np.uint8),
        (grey.shape[1], grey.shape[0]),
        interpolation=cv2.INTER_NEAREST,
    )
    keypoints, descriptors = _sift(settings).detectAndCompute(grey, small)
    if descriptors is None or len(keypoints) == 0:
        return EMPTY
    descriptors = descriptors / np.maximum(descriptors.sum(1, keepdims=True), 1e-7)
    descriptors = np.sqrt(descriptors).astype(np.float32)
    xy = np.array([k.pt for k in keypoints], np.float32) * (
        settings.box_height / (box_h * scale)
    )
    return Features(xy, descriptors)


def verify_many(query: Features, others: list[Features], settings: FeatureSettings):
    """Inlier counts of ``query`` against each of ``others`` (0: no match).

    One matrix product against all candidates at once (RootSIFT vectors have unit
    length, so the inner product orders neighbours like the L2 distance), then
    the ratio test within each candidate and a RANSAC affine fit: a full affine,
    not a similarity, because animals walking at an angle look squeezed.
    """
    counts = np.zeros(len(others), np.int32)
    sizes = [len(o) for o in others]
    if len(query) < settings.min_inliers or sum(sizes) == 0:
        return counts
    bank = np.concatenate([o.descriptors for o in others if len(o)])
    sims = query.descriptors @ bank.T
    start = 0
    for k, (other, size) in enumerate(zip(others, sizes, strict=True)):
        if size < 2:
            start += size
            continue
        block = sims[:, start : start + size]
        start += size
        rows = np.arange(len(block))
        best = block.argmax(axis=1)
        first = block[rows, best]
        block[rows, best] = -np.inf
        second = block.max(axis=1)
        d1 = np.sqrt(np.maximum(2 - 2 * first, 0))
        d2 = np.sqrt(np.maximum(2 - 2 * second, 0))
        good = np.flatnonzero(d1 < settings.ratio * d2)
        if len(good) < settings.min_inliers:
            continue
        _, inliers = cv2.estimateAffine2D(
            query.xy[good],
            other.xy[best[good]],
            method=cv2.RANSAC,
            ransacReprojThreshold=settings.ransac_px,
            maxIters=1000,
            confidence=0.99,
        )
        count = int(inliers.sum()) if inliers is not None else 0
        counts[k] = count if count >= settings.min_inliers else 0
    return counts


def verify(a: Features, b: Features, settings: FeatureSettings) -> int:
    """Inliers between two animals; symmetric (the larger of both directions)."""
    return int(max(verify_many(a, [b], settings)[0], verify_many(b, [a], settings)[0]))
