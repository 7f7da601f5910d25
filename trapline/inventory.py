"""Season inventory: every file under ``images_root``, used or set aside with a reason.

One directory walk (``os.scandir``), then cheap checks in order of cost: extension,
folder layout, stations table, JPEG markers, and only then exiftool for the files
still standing. Each file ends in exactly one of the images table and the
quarantine table, so nothing a field team copied off a card is lost unnoticed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from trapline.exif import ExifReader, tag_column
from trapline.jpeg import check_jpeg
from trapline.layout import FolderLayout
from trapline.quarantine import Quarantined, Reason, quarantine_frame
from trapline.stations import StationColumns, deployment_id, read_stations
from trapline.tables import INVENTORY, QUARANTINE
from trapline.timestamps import parse_exif_times

log = logging.getLogger(__name__)

JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})


@dataclass(frozen=True)
class SeasonFile:
    """A file found under ``images_root``."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class InventorySettings:
    """How to read a season: where it is, its folder layout and time zone."""

    images_root: Path
    layout: FolderLayout
    timezone: str
    workers: int = 1


def walk_season(images_root: Path) -> list[SeasonFile]:
    """Every file below ``images_root``, with size and mtime, in one walk.

    ``os.scandir`` hands back the ``stat`` information with the listing on most
    file systems, so a million-file season is walked without a million extra
    ``stat`` calls.
    """
    found: list[SeasonFile] = []
    stack = [(Path(images_root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=True):
                    stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=True):
                    st = entry.stat(follow_symlinks=True)
                    found.append(SeasonFile(rel, st.st_size, st.st_mtime_ns))
    found.sort(key=lambda f: f.path)
    return found


def image_id(path: str) -> str:
    """A stable id from the relative path: unchanged by reruns and new cards."""
    return hashlib.sha1(path.encode()).hexdigest()[:16]


def build_inventory(
    settings: InventorySettings, deployments: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Walk the season, read EXIF and correct times.

    Args:
        settings: where and how to read.
        deployments: from :func:`trapline.stations.read_stations`.

    Returns:
        ``(images, quarantine)`` frames following :data:`trapline.tables.INVENTORY`
        and :data:`trapline.tables.QUARANTINE`.
    """
    files = walk_season(settings.images_root)
    log.info("%d files under %s", len(files), settings.images_root)
    held: list[Quarantined] = []
    candidates = _place(files, settings.layout, deployments, held)
    candidates = _intact(candidates, settings, held)
    images = _read_exif(candidates, settings, deployments, held)
    quarantine = quarantine_frame(held)
    log.info("%d usable images, %d quarantined", len(images), len(quarantine))
    return images, quarantine


def _place(
    files: list[SeasonFile],
    layout: FolderLayout,
    deployments: pd.DataFrame,
    held: list[Quarantined],
) -> pd.DataFrame:
    """Keep JPEGs whose folders name a known deployment."""
    by_id = set(deployments["deployment_id"])
    station_only = set(deployments.loc[deployments["camera"].isna(), "station"])
    rows = []
    for f in files:
        station, camera = layout.locate(f.path) or (None, None)
        extension = os.path.splitext(f.path)[1]
        if extension.lower() not in JPEG_EXTENSIONS:
            detail = f"extension {extension!r}"
            held.append(
                Quarantined(
                    f.path, "inventory", Reason.UNSUPPORTED, detail, station, camera
                )
            )
            continue
        if station is None:
            detail = f"expected {layout.describe()}"
            held.append(Quarantined(f.path, "inventory", Reason.OUTSIDE_LAYOUT, detail))
            continue
        dep = station if station in station_only else deployment_id(station, camera)
        if dep not in by_id:
            held.append(
                Quarantined(
                    f.path,
                    "inventory",
                    Reason.UNKNOWN_STATION,
                    f"no stations-table row for station {station!r}"
                    + ("" if camera is None else f", camera {camera!r}"),
                    station,
                    camera,
                )
            )
            continue
        rows.append((f.path, station, camera, dep, f.size, f.mtime_ns))
    return pd.DataFrame(
        rows,
        columns=["path", "station", "camera", "deployment_id", "file_size", "mtime_ns"],
    )


def _intact(
    candidates: pd.DataFrame, settings: InventorySettings, held: list[Quarantined]
) -> pd.DataFrame:
    """Drop empty, unreadable, non-JPEG and truncated files.

    Serial on purpose: each check reads a few bytes from the page cache, and a
    thread pool's overhead per task costs more than the check itself.
    """
    root = settings.images_root
    verdicts = [check_jpeg(root / p) for p in candidates["path"]]
    keep = []
    for row, verdict in zip(candidates.itertuples(), verdicts, strict=True):
        if verdict is None:
            keep.append(True)
            continue
        keep.append(False)
        held.append(
            Quarantined(
                row.path, "inventory", verdict[0], verdict[1], row.station, row.camera
            )
        )
    return candidates[keep].reset_index(drop=True)


def _read_exif(
    candidates: pd.DataFrame,
    settings: InventorySettings,
    deployments: pd.DataFrame,
    held: list[Quarantined],
) -> pd.DataFrame:
    """Read EXIF, parse and correct times, check deployment windows."""
    root = settings.images_root
    absolute = [str(root / p) for p in candidates["path"]]
    records = {}
    with (
        ExifReader(workers=settings.workers) as reader,
        tqdm(total=len(absolute), desc="exif", unit="img", mininterval=5) as bar,
    ):
        for rec in reader.read(absolute, progress=bar.update):
            records[rec.path] = rec
    ordered = [records[p] for p in absolute]
    tags = pd.DataFrame([r.tags for r in ordered], index=candidates.index)
    errors = pd.Series([r.error for r in ordered], index=candidates.index)
    times = parse_exif_times(tags, settings.timezone)
    dep = deployments.set_index("deployment_id").loc[candidates["deployment_id"]]
    dep.index = candidates.index
    corrected = times["datetime_exif"] + dep["clock_offset"]
    outside = corrected.notna() & (
        (corrected < dep["window_start"]) | (corrected >= dep["window_end"])
    )
    usable = errors.isna() & times["reason"].isna() & ~outside
    for i in candidates.index[~usable]:
        if pd.notna(errors[i]):
            reason, detail = Reason.UNREADABLE, errors[i]
        elif pd.notna(times.at[i, "reason"]):
            reason, detail = Reason(times.at[i, "reason"]), times.at[i, "detail"]
        else:
            reason = Reason.OUTSIDE_DEPLOYMENT
            detail = (
                f"{corrected[i]} is outside {dep.at[i, 'window_start']} – "
                f"{dep.at[i, 'window_end']}"
            )
        row = candidates.loc[i]
        held.append(
            Quarantined(
                row["path"], "exif", reason, str(detail), row["station"], row["camera"]
            )
        )
    return _images_frame(
        candidates[usable], tags[usable], times[usable], corrected[usable], dep[usable]
    )


def _images_frame(
    cand: pd.DataFrame,
    tags: pd.DataFrame,
    times: pd.DataFrame,
    corrected: pd.Series,
    dep: pd.DataFrame,
) -> pd.DataFrame:
    def tag(name: str) -> pd.Series:
        return tag_column(tags, name)

    def number(name: str) -> pd.Series:
        return pd.to_numeric(tag_column(tags, name), errors="coerce")

    frame = pd.DataFrame(
        {
            "image_id": cand["path"].map(image_id),
            "path": cand["path"],
            "station": cand["station"],
            "camera": cand["camera"],
            "deployment_id": cand["deployment_id"],
            "datetime": corrected,
            "datetime_exif": times["datetime_exif"],
            "timestamp_source": times["timestamp_source"],
            "clock_offset_s": dep["clock_offset"].dt.total_seconds(),
            "make": tag("Make"),
            "model": tag("Model"),
            "serial": tag("SerialNumber"),
            "width": number("ImageWidth"),
            "height": number("ImageHeight"),
            "trigger_mode": tag("TriggerMode"),
            "sequence": tag("Sequence"),
            "temperature_c": number("AmbientTemperature"),
            "file_size": cand["file_size"],
            "file_mtime": pd.to_datetime(cand["mtime_ns"], unit="ns", utc=True),
        }
    )
    return frame.sort_values("path", ignore_index=True)[INVENTORY.names]


def inventory_season(
    images_root: str,
    stations: str,
    layout: str,
    timezone: str,
    columns: dict[str, str],
    date_format: str | None,
    workers: int,
    images_out: str,
    quarantine_out: str,
) -> None:
    """The inventory stage end to end: read the stations table, walk, write tables."""
    deployments = read_stations(
        stations, timezone, StationColumns(**columns), date_format
    )
    settings = InventorySettings(
        Path(images_root), FolderLayout.parse(layout), timezone, workers
    )
    images, quarantine = build_inventory(settings, deployments)
    INVENTORY.write(images, images_out)
    QUARANTINE.write(quarantine, quarantine_out)
