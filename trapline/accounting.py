"""The season's books: every file ends in exactly one of images and quarantine.

Each stage sets aside what it cannot use in a quarantine table of its own; this
step takes the inventory's images, removes those any later stage set aside, joins
the per-image detection summary, and merges the quarantine tables, so the final
``images.parquet`` and ``quarantine.parquet`` together list every file once.
"""

from __future__ import annotations

from pathlib import Path

from trapline.quarantine import merge_quarantine
from trapline.tables import IMAGE_SUMMARY, IMAGES, INVENTORY, QUARANTINE


def close_books(
    inventory_in: Path,
    summary_in: Path,
    quarantines_in: list[Path],
    images_out: Path,
    quarantine_out: Path,
) -> None:
    """Write the final images and quarantine tables.

    Args:
        inventory_in: the inventory's images.
        summary_in: per-image detection summary.
        quarantines_in: every stage's quarantine table, in pipeline order (the
            first stage to set a file aside gives its reason).
    """
    quarantine = merge_quarantine([QUARANTINE.read(p) for p in quarantines_in])
    images = INVENTORY.read(inventory_in)
    images = images[~images["path"].isin(set(quarantine["path"]))]
    summary = IMAGE_SUMMARY.read(summary_in)
    lost = set(images["image_id"]) - set(summary["image_id"])
    if lost:
        raise RuntimeError(
            f"{len(lost)} images neither summarised nor quarantined, e.g. "
            f"{sorted(images.loc[images['image_id'].isin(lost), 'path'])[:3]}"
        )
    images = images.merge(summary, on="image_id", how="inner")
    IMAGES.write(images.sort_values("path", ignore_index=True), images_out)
    QUARANTINE.write(quarantine, quarantine_out)
