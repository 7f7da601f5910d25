"""The crop_shard rule: one shard's animal boxes cut, reusing crops already cut."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trapline.crop.cut import NAMING, CropSettings, crop_animals, crop_id
from trapline.detect.boxes import kept_boxes, person_images
from trapline.detect.settings import DetectSettings, PrivacySettings
from trapline.quarantine import quarantine_frame
from trapline.tables import (
    CROP_BOXES,
    INVENTORY,
    QUARANTINE,
    RAW_DETECTIONS,
    SHARD_DETECTIONS,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CropInputs:
    """Where the crop_shard rule reads."""

    detections: Path
    images: Path
    images_root: Path
    results: Path


@dataclass(frozen=True)
class CropOutputs:
    """Where the crop_shard rule writes."""

    crops: Path
    quarantine: Path


def crop_stage(
    inputs: CropInputs,
    settings: CropSettings,
    out: CropOutputs,
    detect: DetectSettings | None = None,
    privacy: PrivacySettings | None = None,
    threads: int = 1,
) -> int:
    """Crop one shard's animals, reusing crops the previous run already cut.

    A crop is reused when its box, the settings and the source file's size and
    mtime are unchanged and its JPEG is still there; so a new card costs only its
    own crops. Thresholds and the privacy switch are applied here as in the
    detect rule, so a shard's crops depend on nothing outside the shard; only
    images the inventory accepted (``inputs.images``) are cropped.

    Returns:
        How many images were cropped now.
    """
    detect, privacy = detect or DetectSettings(), privacy or PrivacySettings()
    results, crops_out = inputs.results, out.crops
    accepted = INVENTORY.read(inputs.images)
    shard = SHARD_DETECTIONS.read(inputs.detections)
    shard = shard[shard["failure_reason"].isna()]
    shard = shard[shard["image_id"].isin(set(accepted["image_id"]))]
    raw = shard[shard["det_index"].notna()].astype({"det_index": "int32"})
    boxes = kept_boxes(raw[RAW_DETECTIONS.names], detect.thresholds)
    if privacy.drop_person_images:
        boxes = boxes[~boxes["image_id"].isin(person_images(boxes))]
    images = shard.drop_duplicates("image_id")[["image_id", "path", "size", "mtime_ns"]]
    images = images.merge(accepted[["image_id", "station", "camera"]], on="image_id")
    stamp = f"{settings.padding}:{settings.quality}:{NAMING}"
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
    fresh, failed = crop_animals(
        inputs.images_root, todo, boxes, results, settings, threads
    )
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
    QUARANTINE.write(quarantine_frame(failed), out.quarantine)
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
