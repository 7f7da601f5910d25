"""The inventory rules: the stations table read once, each shard's verdict, the books.

- ``deployments``: the stations table → ``inventory/deployments.parquet``, the
  one parse every later stage reads.
- ``inventory_shard``: a shard's files probed (JPEG check + EXIF, cached per
  file) and judged: usable images or quarantine, per shard, so the detector and
  the cropper see only images the inventory accepted.
- ``inventory``: the shards' verdicts as one images and one quarantine table,
  with the later copies of duplicated images set aside (copies span shards).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from trapline.inventory.files import read_manifest, read_skipped_text
from trapline.inventory.probe import probe_files
from trapline.inventory.settings import InventorySettings
from trapline.inventory.stations import (
    read_deployments,
    read_stations,
    write_deployments,
)
from trapline.inventory.verdict import build_inventory, set_aside_duplicates
from trapline.io import write_atomic
from trapline.quarantine import quarantine_frame
from trapline.tables import INVENTORY, QUARANTINE

log = logging.getLogger(__name__)

SHARD_KEY = "mtime_ns"
"""Kept in a shard's image list (not in the season's): the detect cache's key."""

SOURCE = "source"
"""Kept in a shard's image list (not in the season's): the file's absolute path, so
the season's duplicate check can read the few files it must compare (its rule has
no ``images_root``)."""


def deployments_stage(settings: InventorySettings, out: Path) -> None:
    """Read and check the stations table once; write the deployments table."""
    deployments = read_stations(
        settings.stations,
        settings.timezone,
        settings.stations_columns,
        settings.stations_date_format,
    )
    write_deployments(deployments, out)
    log.info("%d deployments from %s", len(deployments), settings.stations)


@dataclass(frozen=True)
class ShardInputs:
    """Where the inventory_shard rule reads."""

    manifest: Path
    deployments: Path


@dataclass(frozen=True)
class ShardOutputs:
    """Where the inventory_shard rule writes."""

    probes: Path
    images: Path
    quarantine: Path


def inventory_shard_stage(
    inputs: ShardInputs,
    settings: InventorySettings,
    out: ShardOutputs,
    threads: int = 1,
) -> None:
    """Probe a shard's files (reusing the previous probes) and judge them."""
    known = None
    if out.probes.is_file():
        known = pd.read_parquet(out.probes).assign(probed=True)
    files = read_manifest(inputs.manifest)
    probes = probe_files(files, Path(settings.images_root), threads, known)
    write_atomic(out.probes, lambda tmp: probes.to_parquet(tmp, index=False))
    images, quarantine = build_inventory(
        probes, settings, read_deployments(inputs.deployments)
    )
    mtimes = probes.set_index("path")["mtime_ns"]
    root = Path(settings.images_root).absolute()
    shard_only = {
        SHARD_KEY: images["path"].map(mtimes),
        SOURCE: images["path"].map(lambda p: str(root / p)),
    }
    INVENTORY.write(images.assign(**shard_only), out.images)
    QUARANTINE.write(quarantine, out.quarantine)


@dataclass(frozen=True)
class InventoryInputs:
    """Every shard's verdict (images and quarantine, in the same shard order)."""

    images: list[Path]
    quarantine: list[Path]
    skipped: Path | None = None


@dataclass(frozen=True)
class InventoryOutputs:
    """Where the inventory rule writes."""

    images: Path
    quarantine: Path


def inventory_stage(
    inputs: InventoryInputs, settings: InventorySettings, out: InventoryOutputs
) -> None:
    """The season's accepted images and inventory quarantine, from the shards.

    Exact duplicates are found here, over every shard, and only their later copies
    leave the accepted images (the detector has seen them per shard; every later
    stage reads the season's accepted images). Paths the walk skipped (unreadable
    folders, broken or duplicate links: ``shards/skipped.txt``) join the
    quarantine, so the books name them.
    """
    images = _concat([INVENTORY.read(p) for p in inputs.images], INVENTORY)
    quarantine = _concat([QUARANTINE.read(p) for p in inputs.quarantine], QUARANTINE)
    if inputs.skipped is not None:
        walked = _skipped_rows(read_skipped_text(inputs.skipped), settings)
        quarantine = _concat([quarantine, walked], QUARANTINE)
    # Shard lists written before SOURCE existed: their copies cannot be read, kept.
    source = images.get(SOURCE, pd.Series(None, index=images.index, dtype=object))
    images, held = set_aside_duplicates(images, source)
    quarantine = _concat([quarantine, quarantine_frame(held)], QUARANTINE)
    images = images.drop(columns=[SHARD_KEY, SOURCE], errors="ignore")
    INVENTORY.write(images.sort_values("path", ignore_index=True), out.images)
    QUARANTINE.write(quarantine.sort_values("path", ignore_index=True), out.quarantine)
    log.info("%d usable images, %d quarantined", len(images), len(quarantine))


def _skipped_rows(skipped: list, settings: InventorySettings) -> pd.DataFrame:
    """Quarantine rows of the walk's skipped paths, placed where the layout can."""
    layout = settings.folder_layout
    rows = []
    for item in skipped:
        place = layout.locate(item.path) or layout.locate(item.path + "/")
        station, camera = place or (None, None)
        rows.append(replace(item.quarantined(), station=station, camera=camera))
    return quarantine_frame(rows)


def _concat(frames: list[pd.DataFrame], table) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else table.empty()
