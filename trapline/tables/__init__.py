"""The output contract: every table trapline writes, its columns, types and meaning.

Users' R scripts depend on these names (see ``../shared/contracts.md``), so they live
in exactly one place. Writers go through :meth:`Table.write`, which refuses a frame
that lacks a contracted column or holds a naive timestamp, so a stage cannot drift
from the contract silently. The README's table reference is checked against this
module by a test.
"""

from __future__ import annotations

from trapline.tables.capture import (
    CAMERA_OPERATION,
    CAPTURE_EVENT_COLUMNS,
    CAPTURE_HISTORY,
    CAPTURE_TABLES,
    CAPTURES,
    DETECTION_HISTORY,
    EFFORT,
    EXCLUDED_CAPTURES,
    OCCASIONS,
    TRAPS,
)
from trapline.tables.contract import TIMESTAMP, Column, Table, local_text, markdown
from trapline.tables.season import (
    CROP_BOXES,
    CROPS,
    DEPLOYMENTS,
    DETECTIONS,
    IDENTITIES,
    IMAGE_SUMMARY,
    IMAGES,
    INVENTORY,
    KEPT_DETECTIONS,
    QUARANTINE,
    RAW_DETECTIONS,
    SEQUENCES,
    SHARD_DETECTIONS,
    SPECIES_COLUMNS,
    SPECIES_COUNTS,
)

ALL_TABLES: tuple[Table, ...] = (
    DEPLOYMENTS,
    IMAGES,
    QUARANTINE,
    DETECTIONS,
    SEQUENCES,
    CROPS,
    SPECIES_COUNTS,
    IDENTITIES,
    *CAPTURE_TABLES,
)
"""The tables users read (the README documents each)."""

__all__ = [
    "TIMESTAMP",
    "Column",
    "local_text",
    "markdown",
    "ALL_TABLES",
    "CAMERA_OPERATION",
    "CAPTURES",
    "CAPTURE_EVENT_COLUMNS",
    "CAPTURE_HISTORY",
    "CAPTURE_TABLES",
    "CROPS",
    "CROP_BOXES",
    "DEPLOYMENTS",
    "DETECTIONS",
    "DETECTION_HISTORY",
    "EFFORT",
    "EXCLUDED_CAPTURES",
    "IDENTITIES",
    "IMAGES",
    "IMAGE_SUMMARY",
    "INVENTORY",
    "KEPT_DETECTIONS",
    "OCCASIONS",
    "QUARANTINE",
    "RAW_DETECTIONS",
    "SEQUENCES",
    "SHARD_DETECTIONS",
    "SPECIES_COLUMNS",
    "SPECIES_COUNTS",
    "TRAPS",
]
