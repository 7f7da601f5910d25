"""Crops of animal boxes, cut from the full-resolution image.

Re-identification needs every spot the camera resolved, so crops come from the
original frame (EXIF orientation applied, as the detector saw it), never from
the detector's downscaled input. Only animals are cropped: people and vehicles
never leave the detection stage.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image, ImageOps
from tqdm import tqdm

from trapline.inventory.jpeg import strict_decoding
from trapline.io import write_atomic
from trapline.quarantine import Quarantined, Reason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CropSettings:
    """Config ``crop``.

    Args:
        min_conf: an animal box needs at least this confidence to be cropped.
        padding: extra margin on each side, as a fraction of the box's size.
        quality: JPEG quality of the written crops.
    """

    min_conf: float = 0.3
    padding: float = 0.05
    quality: int = 95


def crop_id(image_id: str, det_index: int) -> str:
    return f"{image_id}-{det_index}"


NAMING = "by-id"
"""How crop files are named (part of a crop's cache key: a change re-cuts)."""


def crop_file(station: str, image_id: str, det_index: int) -> Path:
    """Where a crop is written, relative to the results folder.

    Named by the crop id (the image's id and the box), never by the image's file
    name: two files whose names differ only in case or extension
    (``IMG_00005.JPG``, ``IMG_00005.jpg``) would write one crop file, and a
    file name near the file system's limit would overflow it. The station folder
    keeps the crops browsable.
    """
    return Path("crops") / station / f"{crop_id(image_id, det_index)}.jpg"


def pixel_box(
    box: tuple[float, float, float, float], size: tuple[int, int], padding: float
) -> tuple[int, int, int, int]:
    """A normalised (x, y, w, h) box, padded, in pixels and clipped to the image.

    Returns:
        (left, top, right, bottom), right/bottom exclusive.
    """
    x, y, w, h = box
    width, height = size
    pad_x, pad_y = w * padding, h * padding
    left = max(0, round((x - pad_x) * width))
    top = max(0, round((y - pad_y) * height))
    right = min(width, round((x + w + pad_x) * width))
    bottom = min(height, round((y + h + pad_y) * height))
    return left, top, max(right, left + 1), max(bottom, top + 1)


def crop_animals(
    root: Path,
    images: pd.DataFrame,
    boxes: pd.DataFrame,
    results: Path,
    settings: CropSettings,
    threads: int = 1,
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Cut and save every animal box above ``settings.min_conf``.

    Args:
        root: ``images_root``.
        images: image rows (``image_id``, ``path``, ``station``, ``camera``).
        boxes: kept detection boxes.
        results: the results folder; crops go to ``results/crops/<station>/…``.
        threads: images decoded at once (decoding releases the GIL).

    Returns:
        One row per crop (``crop_path`` relative to ``results``) and the images
        that could not be decoded.
    """
    animals = boxes[
        (boxes["category"] == "animal") & (boxes["conf"] >= settings.min_conf)
    ]
    by_image = dict(tuple(animals.groupby("image_id", sort=False)))
    todo = images[images["image_id"].isin(by_image)]

    def one(row) -> tuple[list[dict], Quarantined | None]:
        return _crop_image(root, row, by_image[row.image_id], results, settings)

    rows: list[dict] = []
    failed: list[Quarantined] = []
    with ThreadPoolExecutor(max(1, threads)) as pool:
        done = pool.map(one, todo.itertuples(index=False))
        for crops, failure in tqdm(done, total=len(todo), desc="crop", mininterval=10):
            rows += crops
            if failure:
                failed.append(failure)
    return pd.DataFrame(rows), failed


def _crop_image(
    root: Path, row, boxes: pd.DataFrame, results: Path, settings: CropSettings
) -> tuple[list[dict], Quarantined | None]:
    try:
        with strict_decoding(), Image.open(root / row.path) as raw:
            image = ImageOps.exif_transpose(raw).convert("RGB")
    except (OSError, ValueError, SyntaxError) as err:
        detail = f"crop: {type(err).__name__}: {err}"
        return [], Quarantined(
            row.path, "crop", Reason.UNREADABLE, detail, row.station, row.camera
        )
    out = []
    for box in boxes.itertuples(index=False):
        coords = (box.bbox_x, box.bbox_y, box.bbox_w, box.bbox_h)
        left, top, right, bottom = pixel_box(coords, image.size, settings.padding)
        rel = crop_file(row.station, row.image_id, box.det_index)
        piece = image.crop((left, top, right, bottom))
        write_atomic(
            results / rel,
            lambda tmp, p=piece: p.save(tmp, "JPEG", quality=settings.quality),
        )
        out.append(
            {
                "crop_id": crop_id(row.image_id, box.det_index),
                "image_id": row.image_id,
                "det_index": box.det_index,
                "crop_path": rel.as_posix(),
                "bbox_x": box.bbox_x,
                "bbox_y": box.bbox_y,
                "bbox_w": box.bbox_w,
                "bbox_h": box.bbox_h,
                "conf": box.conf,
                "crop_left": left,
                "crop_top": top,
                "crop_width": right - left,
                "crop_height": bottom - top,
            }
        )
    return out, None
