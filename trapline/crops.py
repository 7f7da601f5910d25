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

from trapline.detections import DetectionRules, kept_boxes, person_images
from trapline.jpeg import strict_decoding
from trapline.layout import FolderLayout
from trapline.quarantine import Quarantined, Reason, quarantine_frame
from trapline.tables import (
    CROP_BOXES,
    QUARANTINE,
    RAW_DETECTIONS,
    SHARD_DETECTIONS,
    write_atomic,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CropSettings:
    """Config ``crop``.

    Args:
        min_conf: an animal box needs at least this confidence to be cropped.
        padding: extra margin on each side, as a fraction of the box's size.
        quality: JPEG quality of the written crops.
        threads: images decoded at once (decoding releases the GIL).
    """

    min_conf: float = 0.5
    padding: float = 0.05
    quality: int = 95
    threads: int = 1


def crop_id(image_id: str, det_index: int) -> str:
    return f"{image_id}-{det_index}"


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
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Cut and save every animal box above ``settings.min_conf``.

    Args:
        root: ``images_root``.
        images: image rows (``image_id``, ``path``, ``station``, ``camera``).
        boxes: kept detection boxes.
        results: the results folder; crops go to ``results/crops/…``.

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
    with ThreadPoolExecutor(max(1, settings.threads)) as pool:
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
    stem = Path(row.path).with_suffix("")
    out = []
    for box in boxes.itertuples(index=False):
        coords = (box.bbox_x, box.bbox_y, box.bbox_w, box.bbox_h)
        left, top, right, bottom = pixel_box(coords, image.size, settings.padding)
        rel = Path("crops") / f"{stem}_{box.det_index}.jpg"
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


def crop_shard(
    images_root: Path,
    detections_in: Path,
    rules: DetectionRules,
    layout: FolderLayout,
    results: Path,
    settings: CropSettings,
    crops_out: Path,
    quarantine_out: Path,
) -> int:
    """Crop one shard's animals, reusing crops the previous run already cut.

    A crop is reused when its box, the settings and the source file's size and
    mtime are unchanged and its JPEG is still there; so a new card costs only its
    own crops. Thresholds and the privacy switch are applied here as in the
    detections rule, so a shard's crops depend on nothing outside the shard.

    Returns:
        How many images were cropped now.
    """
    shard = SHARD_DETECTIONS.read(detections_in)
    shard = shard[shard["failure_reason"].isna()]
    raw = shard[shard["det_index"].notna()].astype({"det_index": "int32"})
    boxes = kept_boxes(raw[RAW_DETECTIONS.names], rules)
    if rules.drop_person_images:
        boxes = boxes[~boxes["image_id"].isin(person_images(boxes))]
    images = shard.drop_duplicates("image_id")[["image_id", "path", "size", "mtime_ns"]]
    places = [layout.locate(p) or (None, None) for p in images["path"]]
    images = images.assign(
        station=[s for s, _ in places], camera=[c for _, c in places]
    )
    stamp = f"{settings.padding}:{settings.quality}"
    keyed = boxes.merge(images[["image_id", "size", "mtime_ns"]], on="image_id")
    keyed = keyed.assign(
        crop_id=[
            crop_id(i, d)
            for i, d in zip(keyed["image_id"], keyed["det_index"], strict=True)
        ]
    )
    animals = keyed[
        (keyed["category"] == "animal") & (keyed["conf"] >= settings.min_conf)
    ]
    reuse = _reusable(crops_out, animals, stamp, results)
    todo_images = set(
        animals.loc[~animals["crop_id"].isin(reuse["crop_id"]), "image_id"]
    )
    todo = images[images["image_id"].isin(todo_images)]
    reuse = reuse[~reuse["image_id"].isin(todo_images)]
    fresh, failed = crop_animals(images_root, todo, boxes, results, settings)
    if len(fresh):
        fresh = fresh.merge(images[["image_id", "size", "mtime_ns"]], on="image_id")
        fresh = fresh.rename(
            columns={"size": "source_size", "mtime_ns": "source_mtime_ns"}
        )
        fresh["crop_settings"] = stamp
    crops = pd.concat([reuse, fresh], ignore_index=True) if len(fresh) else reuse
    crops = crops.sort_values("crop_id", ignore_index=True)
    log.info(
        "%d crops: %d images cropped now, %d crops reused",
        len(crops),
        len(todo),
        len(reuse),
    )
    _remove_orphans(
        crops_out, set(crops["crop_path"]) if len(crops) else set(), results
    )
    CROP_BOXES.write(crops if len(crops) else CROP_BOXES.empty(), crops_out)
    QUARANTINE.write(quarantine_frame(failed), quarantine_out)
    return len(todo)


def _remove_orphans(crops_out: Path, kept: set[str], results: Path) -> None:
    """Delete crop JPEGs of the previous output that the new one no longer lists."""
    if not Path(crops_out).is_file():
        return
    for rel in set(CROP_BOXES.read(crops_out)["crop_path"]) - kept:
        (results / rel).unlink(missing_ok=True)


def _reusable(
    crops_out: Path, animals: pd.DataFrame, stamp: str, results: Path
) -> pd.DataFrame:
    """The previous output's crops that still match a box, its source and settings."""
    if not Path(crops_out).is_file():
        return pd.DataFrame(
            columns=[
                *CROP_BOXES.names,
                "source_size",
                "source_mtime_ns",
                "crop_settings",
            ]
        )
    previous = CROP_BOXES.read(crops_out)
    if "crop_settings" not in previous:
        return previous.iloc[:0]
    current = animals[
        ["crop_id", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "size", "mtime_ns"]
    ]
    current = current.rename(
        columns={"size": "source_size", "mtime_ns": "source_mtime_ns"}
    )
    key = list(current.columns)
    same = previous[previous["crop_settings"] == stamp].merge(current, on=key)
    exists = [(results / p).is_file() for p in same["crop_path"]]
    return same[exists].reset_index(drop=True)
