"""Features of season crops and catalogue references, cached per image.

Extracting features is the costly part of a rerun after the matching, so each
crop's and reference's features are kept in ``identify/cache`` and read back.
A cached value must be exactly what a fresh run would compute, or a rerun drifts
from a fresh run:

- a crop's features depend on its deployment's background (the mask), which
  changes as new frames arrive; each crop file records the background it was
  masked with and is recomputed when that background changed;
- the cache keeps descriptors as float16, so features are rounded to float16
  whether computed now or read back.

Each :class:`~trapline.identify.localfeatures.Features` carries a ``key`` naming
all of that, under which the inlier counts of its pairs are cached.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.identify.background import (
    BackgroundKey,
    background_digest,
    foreground_mask,
)
from trapline.identify.cache import load_npz, save_npz
from trapline.identify.localfeatures import (
    Features,
    FeatureSettings,
    extract,
    interior_mask,
    is_infrared,
    read_rgb,
)

NO_BACKGROUND = "interior"
"""What a crop without a background of its frame size was masked with."""


def crop_features(
    crops: pd.DataFrame,
    images: pd.DataFrame,
    crops_root: Path,
    backgrounds: dict[BackgroundKey, np.ndarray],
    settings: FeatureSettings,
    cache: Path | None = None,
    workers: int = 1,
) -> dict[str, Features]:
    """Features of season crops, background-masked where a background is known.

    A crop takes the background of its deployment, its frame's size (``width,
    height`` of the images table, the size its box is measured in) and its light
    regime; without one (fewer than 3 frames of that size and regime) the
    interior of its box.

    Args:
        crops: the crops table (``crop_id, image_id, crop_path, bbox_*, crop_*``).
        images: ``image_id, deployment_id, width, height``.
        cache: one ``crop-*.npz`` per crop (keyed by the crop and its box) that
            records its light regime and background; a rerun reads it while its
            background is unchanged, and recomputes it otherwise.
    """
    meta = images.set_index("image_id")[["deployment_id", "width", "height"]]
    digests = {key: background_digest(value) for key, value in backgrounds.items()}

    def one(row) -> Features:
        deployment, width, height = meta.loc[row.image_id]
        where = (str(deployment), (int(width), int(height)))
        geometry = [  # plain floats: the same text whatever the column dtypes
            float(v)
            for v in (
                row.bbox_x, row.bbox_y, row.bbox_w, row.bbox_h, row.crop_left,
                row.crop_top, row.crop_width, row.crop_height, width, height,
            )
        ]  # fmt: skip
        identity = _key("crop", f"{row.crop_id}|{row.crop_path}|{geometry}", settings)
        path = cache / f"crop-{identity}.npz" if cache else None
        stored = _stored_crop(load_npz(path))
        if stored is not None:
            infrared, used = stored[0], stored[1]
            if digests.get((*where, infrared), NO_BACKGROUND) == used:
                return _features(*stored[2:], f"{identity}|{used}")
        crop = read_rgb(crops_root / row.crop_path)
        infrared = is_infrared(crop)
        left, top = row.crop_left, row.crop_top
        box = (
            max(0, round(row.bbox_x * width) - left),
            max(0, round(row.bbox_y * height) - top),
            min(crop.shape[1], round((row.bbox_x + row.bbox_w) * width) - left),
            min(crop.shape[0], round((row.bbox_y + row.bbox_h) * height) - top),
        )
        background = backgrounds.get((*where, infrared))
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
        used = digests.get((*where, infrared), NO_BACKGROUND)
        if path is not None:
            save_npz(
                path,
                xy=found.xy,
                descriptors=found.descriptors.astype(np.float16),
                infrared=np.array(infrared),
                background=np.array(used),
            )
        return _features(found.xy, found.descriptors, f"{identity}|{used}")

    rows = list(crops.itertuples(index=False))
    if workers > 1 and len(rows) > 1:  # decoding and SIFT release the GIL
        with ThreadPoolExecutor(workers) as pool:
            found = list(pool.map(one, rows))
    else:
        found = [one(row) for row in rows]
    return {row.crop_id: f for row, f in zip(rows, found, strict=True)}


def reference_features(
    catalogue: pd.DataFrame, settings: FeatureSettings, cache: Path | None = None
) -> dict[str, Features]:
    """Features of catalogue references, restricted to the interior of their box."""
    out: dict[str, Features] = {}
    for row in catalogue.itertuples(index=False):
        key = _key("ref", row.ref_id, settings)
        path = cache / f"ref-{key}.npz" if cache else None
        stored = _stored_features(load_npz(path))
        if stored is None:
            image = read_rgb(row.path)
            h, w = image.shape[:2]
            box = (
                round(row.bbox_x * w),
                round(row.bbox_y * h),
                round((row.bbox_x + row.bbox_w) * w),
                round((row.bbox_y + row.bbox_h) * h),
            )
            found = extract(image, interior_mask((h, w), box, settings), box, settings)
            stored = (found.xy, found.descriptors)
            if path is not None:
                save_npz(
                    path, xy=found.xy, descriptors=found.descriptors.astype(np.float16)
                )
        out[row.ref_id] = _features(*stored, key)
    return out


def _key(kind: str, text: str, settings: FeatureSettings) -> str:
    digest = hashlib.sha1(f"{kind}|{text}|{settings.fingerprint()}".encode())
    return digest.hexdigest()[:20]


def _features(xy: np.ndarray, descriptors: np.ndarray, key: str) -> Features:
    """Features as the cache keeps them (float16 descriptors), fresh or read back."""
    descriptors = descriptors.astype(np.float16).astype(np.float32)
    return Features(xy.astype(np.float32), descriptors.reshape(-1, 128), key)


def _stored_features(
    arrays: dict[str, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(xy, descriptors) of a cache file, None when it holds something else."""
    if arrays is None or not {"xy", "descriptors"} <= arrays.keys():
        return None
    xy, descriptors = arrays["xy"], arrays["descriptors"]
    if xy.ndim != 2 or descriptors.ndim != 2 or len(xy) != len(descriptors):
        return None
    return xy, descriptors


def _stored_crop(
    arrays: dict[str, np.ndarray] | None,
) -> tuple[bool, str, np.ndarray, np.ndarray] | None:
    """(infrared, background used, xy, descriptors) of a crop's cache file."""
    features = _stored_features(arrays)
    if features is None or not {"infrared", "background"} <= arrays.keys():
        return None
    return bool(arrays["infrared"]), str(arrays["background"]), *features
