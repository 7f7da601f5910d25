"""From raw detector boxes to what an ecologist counts: thresholds, empties, sequences.

The detector keeps every box down to a low confidence so thresholds can change
without rerunning it; this step applies the per-category thresholds, marks empty
images, counts animals per image and per sequence (the most animals seen at once
in a burst is the count, as walrus and herd surveys take it), flags people and
vehicles, and applies the privacy switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from trapline.mdformat import CATEGORIES
from trapline.quarantine import Quarantined, Reason, quarantine_frame
from trapline.tables import (
    IMAGE_SUMMARY,
    INVENTORY,
    KEPT_DETECTIONS,
    QUARANTINE,
    RAW_DETECTIONS,
    SEQUENCES,
)

CATEGORY_NAMES = tuple(CATEGORIES.values())


@dataclass(frozen=True)
class DetectionRules:
    """Config ``detect.thresholds``, ``detect.sequence_gap_s`` and ``privacy``.

    Args:
        thresholds: minimum confidence per category for a box to count.
        sequence_gap_s: images of one deployment at most this many seconds apart
            belong to one sequence.
        drop_person_images: leave images with a person out of every export.
    """

    thresholds: dict[str, float] = field(
        default_factory=lambda: {"animal": 0.2, "person": 0.2, "vehicle": 0.2}
    )
    sequence_gap_s: float = 30.0
    drop_person_images: bool = False


def kept_boxes(raw: pd.DataFrame, rules: DetectionRules) -> pd.DataFrame:
    """Boxes at or above their category's threshold."""
    minimum = pd.to_numeric(raw["category"].map(rules.thresholds)).fillna(1.1)
    return raw[raw["conf"] >= minimum].reset_index(drop=True)


def assign_sequences(images: pd.DataFrame, gap_s: float) -> pd.Series:
    """A sequence id per image: same deployment, consecutive gaps ≤ ``gap_s``.

    The id is the deployment and the time of the sequence's first image, so it
    stays the same when later cards add images elsewhere in the season.
    """
    order = images.sort_values(["deployment_id", "datetime"])
    gap = order.groupby("deployment_id")["datetime"].diff()
    starts = gap.isna() | (gap > pd.Timedelta(seconds=gap_s))
    first = order["datetime"].where(starts).ffill()
    ids = order["deployment_id"] + ":" + first.dt.strftime("%Y%m%dT%H%M%S")
    return ids.reindex(images.index)


def image_summary(
    images: pd.DataFrame, boxes: pd.DataFrame, rules: DetectionRules
) -> pd.DataFrame:
    """Per image: sequence, emptiness and counts per category.

    Args:
        images: inventory rows of the images that went through detection.
        boxes: :func:`kept_boxes`.
    """
    counts = (
        boxes.pivot_table(
            index="image_id", columns="category", values="conf", aggfunc="count"
        )
        .reindex(columns=list(CATEGORY_NAMES))
        .fillna(0)
        .astype("int32")
    )
    summary = images[["image_id"]].copy()
    summary["sequence_id"] = assign_sequences(images, rules.sequence_gap_s)
    for name in CATEGORY_NAMES:
        summary[f"n_{name}s"] = (
            summary["image_id"].map(counts[name]).fillna(0).astype("int32")
        )
    summary["is_empty"] = summary[[f"n_{c}s" for c in CATEGORY_NAMES]].sum(axis=1) == 0
    return summary


def sequence_summary(images: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Per sequence: when, where, how many images, and the most animals at once."""
    joined = images.merge(summary, on="image_id")
    grouped = joined.groupby("sequence_id", sort=True)
    return pd.DataFrame(
        {
            "deployment_id": grouped["deployment_id"].first(),
            "station": grouped["station"].first(),
            "camera": grouped["camera"].first(),
            "start": grouped["datetime"].min(),
            "end": grouped["datetime"].max(),
            "n_images": grouped.size().astype("int32"),
            "max_animals": grouped["n_animals"].max().astype("int32"),
            "has_person": grouped["n_persons"].max() > 0,
            "has_vehicle": grouped["n_vehicles"].max() > 0,
        }
    ).reset_index()


def person_images(boxes: pd.DataFrame) -> set[str]:
    """Images with a kept person box: what the privacy switch leaves out."""
    return set(boxes.loc[boxes["category"] == "person", "image_id"])


def privacy_holds(
    images: pd.DataFrame, boxes: pd.DataFrame, rules: DetectionRules
) -> list[Quarantined]:
    """Images to leave out because a person is in them (when the switch is on)."""
    if not rules.drop_person_images:
        return []
    held = images[images["image_id"].isin(person_images(boxes))]
    return [
        Quarantined(
            row.path,
            "detect",
            Reason.PERSON_PRIVACY,
            "person detected",
            row.station,
            row.camera,
        )
        for row in held.itertuples()
    ]


def detections_stage(
    inventory_in: Path,
    shards_in: list[Path],
    rules: DetectionRules,
    out: DetectionOutputs,
) -> None:
    """Merge the shards; thresholds, empties, counts, sequences and privacy."""
    from trapline.detect_shards import merge_shards

    images = INVENTORY.read(inventory_in)
    raw, failed = merge_shards(shards_in, images)
    RAW_DETECTIONS.write(raw, out.raw)
    QUARANTINE.write(quarantine_frame(failed), out.failed)
    lost = {q.path for q in failed}
    images = images[~images["path"].isin(lost)]
    raw = raw[raw["image_id"].isin(images["image_id"])]
    boxes = kept_boxes(raw, rules)
    held = privacy_holds(images, boxes, rules)
    held_paths = {q.path for q in held}
    images = images[~images["path"].isin(held_paths)].reset_index(drop=True)
    boxes = boxes[boxes["image_id"].isin(images["image_id"])].reset_index(drop=True)
    summary = image_summary(images, boxes, rules)
    KEPT_DETECTIONS.write(boxes, out.detections)
    SEQUENCES.write(sequence_summary(images, summary), out.sequences)
    IMAGE_SUMMARY.write(summary, out.summary)
    QUARANTINE.write(quarantine_frame(held), out.privacy)


@dataclass(frozen=True)
class DetectionOutputs:
    """Where :func:`detections_stage` writes."""

    raw: Path
    failed: Path
    detections: Path
    sequences: Path
    summary: Path
    privacy: Path
