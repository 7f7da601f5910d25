"""From raw detector boxes to what an ecologist counts: thresholds, empties, sequences.

The detector keeps every box down to a low confidence so thresholds can change
without rerunning it; this step applies the per-category thresholds, marks empty
images, counts animals per image and per sequence (the most animals seen at once
in a burst is the count, as walrus and herd surveys take it), flags people and
vehicles, and applies the privacy switch.
"""

from __future__ import annotations

import pandas as pd

from trapline.detect.megadetector import CATEGORIES
from trapline.detect.settings import PrivacySettings, Thresholds
from trapline.quarantine import Quarantined, Reason

CATEGORY_NAMES = tuple(CATEGORIES.values())


def kept_boxes(raw: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Boxes at or above their category's threshold."""
    by_category = thresholds.by_category()
    minimum = pd.to_numeric(raw["category"].map(by_category)).fillna(1.1)
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
    images: pd.DataFrame, boxes: pd.DataFrame, sequence_gap_s: float
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
    summary["sequence_id"] = assign_sequences(images, sequence_gap_s)
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
    images: pd.DataFrame, boxes: pd.DataFrame, privacy: PrivacySettings
) -> list[Quarantined]:
    """Images to leave out because a person is in them (when the switch is on)."""
    if not privacy.drop_person_images:
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
