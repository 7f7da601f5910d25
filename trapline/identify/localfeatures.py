"""Local-feature verification: RootSIFT on the animal only, ratio test, RANSAC.

Needs no model weights, so the offline demo and a first season without a trained
embedder still identify animals. Background is the enemy: camera traps are static,
so two *different* animals photographed at one station share every background
keypoint, and unmasked SIFT+RANSAC then matches scenes, not coats (it ranked at
chance on wild nyala crops). Each deployment's background is therefore estimated
as the per-pixel median of its frames with the animals cut out, and only keypoints
on pixels that differ from it are kept. Catalogue images have no background model;
their keypoints are restricted to the interior of the animal's box.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd


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
    """Keypoint positions (pixels at the normalised scale) and RootSIFT descriptors."""

    xy: np.ndarray
    descriptors: np.ndarray

    def __len__(self) -> int:
        return len(self.xy)


EMPTY = Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32))


def _is_infrared(rgb: np.ndarray) -> bool:
    """IR night frames are grey (R = G = B up to JPEG noise)."""
    small = rgb[::8, ::8].astype(np.int16)
    return float(np.abs(small[..., 0] - small[..., 2]).mean()) < 2.0


def _read_rgb(path: str | Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def build_backgrounds(
    images: pd.DataFrame,
    crops: pd.DataFrame,
    images_root: Path,
    settings: FeatureSettings,
    cache: Path | None = None,
) -> dict[tuple[str, bool], np.ndarray]:
    """Median background per (deployment, infrared) at ``background_scale``.

    Day and IR frames look nothing alike, so each light regime gets its own
    median. Animal boxes are blanked before the median so a lingering animal does
    not become background.

    Args:
        images: ``image_id, path, deployment_id`` (path relative to images_root).
        crops: ``image_id, bbox_x..bbox_h`` of every detected animal.
        cache: folder for ``background-*.npz``, keyed by the frames used.
    """
    boxes = crops.groupby("image_id")[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]]
    box_of = {key: group.to_numpy() for key, group in boxes}
    out: dict[tuple[str, bool], np.ndarray] = {}
    for deployment, group in images.groupby("deployment_id", sort=True):
        key = hashlib.sha1(
            (settings.fingerprint() + "".join(sorted(group["image_id"]))).encode()
        ).hexdigest()[:16]
        stored = cache / f"background-{key}.npz" if cache else None
        if stored is not None and stored.is_file():
            with np.load(stored) as data:
                for name in data.files:
                    out[(str(deployment), name == "ir")] = data[name]
            continue
        stacks: dict[bool, list[np.ndarray]] = {False: [], True: []}
        for image_id, rel in zip(group["image_id"], group["path"], strict=True):
            path = images_root / rel
            if not path.is_file():
                continue
            rgb = cv2.resize(
                _read_rgb(path),
                None,
                fx=settings.background_scale,
                fy=settings.background_scale,
                interpolation=cv2.INTER_AREA,
            ).astype(np.float32)
            infrared = _is_infrared(rgb)
            h, w = rgb.shape[:2]
            for x, y, bw, bh in box_of.get(image_id, ()):
                rgb[
                    int(y * h) : int(np.ceil((y + bh) * h)),
                    int(x * w) : int(np.ceil((x + bw) * w)),
                ] = np.nan
            stacks[infrared].append(rgb)
        found = {}
        for infrared, frames in stacks.items():
            if len(frames) >= 3:
                median = np.nanmedian(np.stack(frames), axis=0)
                found["ir" if infrared else "day"] = median.astype(np.float32)
                out[(str(deployment), infrared)] = found["ir" if infrared else "day"]
        if stored is not None:
            stored.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(stored, **found)
    return out


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


def _load(path: Path | None) -> Features | None:
    if path is None or not path.is_file():
        return None
    with np.load(path) as data:
        return Features(data["xy"], data["descriptors"].astype(np.float32))


def _save(path: Path | None, features: Features) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, xy=features.xy, descriptors=features.descriptors.astype(np.float16))
    tmp.replace(path)


def _cached(cache: Path | None, kind: str, key: str, settings: FeatureSettings):
    if cache is None:
        return None
    digest = hashlib.sha1(f"{kind}|{key}|{settings.fingerprint()}".encode())
    return cache / f"{kind}-{digest.hexdigest()[:20]}.npz"


def crop_features(
    crops: pd.DataFrame,
    images: pd.DataFrame,
    crops_root: Path,
    backgrounds: dict[tuple[str, bool], np.ndarray],
    settings: FeatureSettings,
    cache: Path | None = None,
) -> dict[str, Features]:
    """Features of season crops, background-masked where a background is known.

    Args:
        crops: the crops table (``crop_id, image_id, crop_path, bbox_*, crop_*``).
        images: ``image_id, deployment_id, width, height``.
        cache: one ``crop-*.npz`` per crop; a rerun reads instead of computing.
    """
    meta = images.set_index("image_id")[["deployment_id", "width", "height"]]
    out: dict[str, Features] = {}
    for row in crops.itertuples(index=False):
        path = _cached(cache, "crop", f"{row.crop_id}|{row.crop_path}", settings)
        found = _load(path)
        if found is None:
            deployment, width, height = meta.loc[row.image_id]
            crop = _read_rgb(crops_root / row.crop_path)
            left, top = row.crop_left, row.crop_top
            box = (
                max(0, round(row.bbox_x * width) - left),
                max(0, round(row.bbox_y * height) - top),
                min(crop.shape[1], round((row.bbox_x + row.bbox_w) * width) - left),
                min(crop.shape[0], round((row.bbox_y + row.bbox_h) * height) - top),
            )
            background = backgrounds.get((str(deployment), _is_infrared(crop)))
            if background is None:
                mask = interior_mask(crop.shape[:2], box, settings)
            else:
                s = settings.background_scale
                region = background[
                    int(top * s) : int(np.ceil((top + row.crop_height) * s)),
                    int(left * s) : int(np.ceil((left + row.crop_width) * s)),
                ]
                mask = foreground_mask(crop, region, box, settings)
            found = extract(crop, mask, box, settings)
            _save(path, found)
        out[row.crop_id] = found
    return out


def reference_features(
    catalogue: pd.DataFrame, settings: FeatureSettings, cache: Path | None = None
) -> dict[str, Features]:
    """Features of catalogue references, restricted to the interior of their box."""
    out: dict[str, Features] = {}
    for row in catalogue.itertuples(index=False):
        path = _cached(cache, "ref", row.ref_id, settings)
        found = _load(path)
        if found is None:
            image = _read_rgb(row.path)
            h, w = image.shape[:2]
            box = (
                round(row.bbox_x * w),
                round(row.bbox_y * h),
                round((row.bbox_x + row.bbox_w) * w),
                round((row.bbox_y + row.bbox_h) * h),
            )
            found = extract(image, interior_mask((h, w), box, settings), box, settings)
            _save(path, found)
        out[row.ref_id] = found
    return out
