"""The detect rules: a shard's boxes imported; every shard merged, thresholded.

The model itself runs per shard in its own process (``python -m trapline.detect``,
:mod:`trapline.detect.shard`). Glue only: the shards' raw boxes are merged for
the images the inventory accepted, the per-category thresholds and the privacy
switch applied (:mod:`trapline.detect.boxes`), and the season's detection
tables written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from trapline.detect.boxes import (
    image_summary,
    kept_boxes,
    privacy_holds,
    sequence_summary,
)
from trapline.detect.megadetector import import_precomputed, precomputed_boxes
from trapline.detect.settings import DetectSettings, PrivacySettings
from trapline.detect.shard import readable_images, shard_rows
from trapline.quarantine import Quarantined, Reason, quarantine_frame
from trapline.tables import (
    IMAGE_SUMMARY,
    INVENTORY,
    KEPT_DETECTIONS,
    QUARANTINE,
    RAW_DETECTIONS,
    SEQUENCES,
    SHARD_DETECTIONS,
)


def merge_shards(
    shards_in: list[Path], inventory: pd.DataFrame
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Every shard's boxes for the inventory's images, and the images that failed.

    Raises:
        RuntimeError: an inventory image is in no shard (a bug, never silent).
    """
    frames = [SHARD_DETECTIONS.read(p) for p in shards_in]
    shards = (
        pd.concat(frames, ignore_index=True) if frames else SHARD_DETECTIONS.empty()
    )
    shards = shards[shards["path"].isin(set(inventory["path"]))]
    missing = set(inventory["path"]) - set(shards["path"])
    if missing:
        raise RuntimeError(
            f"{len(missing)} inventory images have no detection record, e.g. "
            f"{sorted(missing)[:3]}: rerun the detect jobs of their shards"
        )
    places = inventory.set_index("path")[["station", "camera"]]
    failures = shards[shards["failure_reason"].notna()].drop_duplicates("path")
    failed = [
        Quarantined(
            row.path,
            "detect",
            Reason(row.failure_reason),
            row.failure_detail,
            places.at[row.path, "station"],
            places.at[row.path, "camera"],
        )
        for row in failures.itertuples()
    ]
    boxes = shards[shards["det_index"].notna()]
    raw = boxes[RAW_DETECTIONS.names].astype({"det_index": "int32"})
    return raw.reset_index(drop=True), failed


@dataclass(frozen=True)
class DetectInputs:
    """Where the detect rule reads: the accepted images, every shard's boxes."""

    images: Path
    shards: list[Path]


@dataclass(frozen=True)
class DetectOutputs:
    """Where the detect rule writes."""

    raw: Path
    failed: Path
    detections: Path
    sequences: Path
    summary: Path
    privacy: Path


def detect_stage(
    inputs: DetectInputs,
    settings: DetectSettings,
    out: DetectOutputs,
    privacy: PrivacySettings | None = None,
) -> None:
    """Merge the shards; thresholds, empties, counts, sequences and privacy."""
    images = INVENTORY.read(inputs.images)
    raw, failed = merge_shards(inputs.shards, images)
    RAW_DETECTIONS.write(raw, out.raw)
    QUARANTINE.write(quarantine_frame(failed), out.failed)
    lost = {q.path for q in failed}
    images = images[~images["path"].isin(lost)]
    raw = raw[raw["image_id"].isin(images["image_id"])]
    boxes = kept_boxes(raw, settings.thresholds)
    held = privacy_holds(images, boxes, privacy or PrivacySettings())
    held_paths = {q.path for q in held}
    images = images[~images["path"].isin(held_paths)].reset_index(drop=True)
    boxes = boxes[boxes["image_id"].isin(images["image_id"])].reset_index(drop=True)
    summary = image_summary(images, boxes, settings.sequence_gap_s)
    KEPT_DETECTIONS.write(boxes, out.detections)
    SEQUENCES.write(sequence_summary(images, summary), out.sequences)
    IMAGE_SUMMARY.write(summary, out.summary)
    QUARANTINE.write(quarantine_frame(held), out.privacy)


def import_stage(precomputed: Path, out: Path, key: str = "detect.precomputed") -> None:
    """The detect_import rule (and catalogue_detect_import, ``key``
    ``identify.catalogue_detections``): a MegaDetector batch file as a table,
    read once."""
    import_precomputed(precomputed, out, key)


def detect_shard_import_stage(images: Path, precomputed: Path, out: Path) -> None:
    """The detect_shard_import rule: a shard's boxes from the imported file."""
    accepted = readable_images(pd.read_parquet(images))
    raw, failed = precomputed_boxes(accepted, precomputed)
    source = json.loads(pq.read_schema(precomputed).metadata[b"trapline:precomputed"])[
        "source"
    ]
    frame = shard_rows(accepted, raw, failed, f"precomputed:{source}")
    SHARD_DETECTIONS.write(frame, out)
