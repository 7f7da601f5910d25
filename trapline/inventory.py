"""Season inventory: every file under ``images_root``, used or set aside with a reason.

One directory walk (``os.scandir``), then cheap checks in order of cost: extension,
folder layout, stations table, JPEG markers, and only then exiftool for the files
still standing. Each file ends in exactly one of the images table and the
quarantine table, so nothing a field team copied off a card is lost unnoticed.
"""

from __future__ import annotations

import hashlib
import json
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
from trapline.tables import INVENTORY, QUARANTINE, write_atomic
from trapline.timestamps import parse_exif_times
from trapline.walk import SeasonFile, read_manifest

log = logging.getLogger(__name__)

JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})

PROBE_COLUMNS = (
    "path",
    "size",
    "mtime_ns",
    "jpeg_reason",
    "jpeg_detail",
    "exif_error",
    "tags",
)
"""Columns of a shard's probes (``inventory/probes/<shard>.parquet``, internal)."""


@dataclass(frozen=True)
class InventorySettings:
    """How to read a season: where it is, its folder layout and time zone."""

    images_root: Path
    layout: FolderLayout
    timezone: str


def image_id(path: str) -> str:
    """A stable id from the relative path: unchanged by reruns and new cards."""
    return hashlib.sha1(path.encode()).hexdigest()[:16]


def probe_files(
    files: list[SeasonFile],
    images_root: Path,
    workers: int = 1,
    known: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The per-file work of the inventory: JPEG integrity, then EXIF.

    This is the expensive part (a read of every file), done per shard and cached:
    a file whose path, size and mtime match a row of ``known`` is not read again.

    Returns:
        One row per file (:data:`PROBE_COLUMNS`): ``jpeg_reason``/``jpeg_detail``
        when the integrity check failed, ``exif_error`` or the EXIF ``tags`` (JSON).
    """
    key = ["path", "size", "mtime_ns"]
    frame = pd.DataFrame(
        [(f.path, f.size, f.mtime_ns) for f in files], columns=key
    ).astype({"size": "int64", "mtime_ns": "int64"})
    if known is not None and len(known):
        frame = frame.merge(known, on=key, how="left")
        todo = frame["probed"].isna()
    else:
        for column in PROBE_COLUMNS[3:]:
            frame[column] = None
        todo = pd.Series(True, index=frame.index)
    fresh = frame[todo]
    jpeg = fresh["path"].str.lower().str.endswith(tuple(JPEG_EXTENSIONS))
    verdicts = {p: check_jpeg(images_root / p) for p in fresh.loc[jpeg, "path"]}
    readable = [p for p, v in verdicts.items() if v is None]
    records = {}
    with (
        ExifReader(workers=workers) as reader,
        tqdm(total=len(readable), desc="exif", unit="img", mininterval=5) as bar,
    ):
        absolute = [str(images_root / p) for p in readable]
        for rec, rel in zip(
            reader.read(absolute, progress=bar.update), readable, strict=True
        ):
            records[rel] = rec
    for i in fresh.index:
        rel = frame.at[i, "path"]
        verdict = verdicts.get(rel)
        rec = records.get(rel)
        frame.at[i, "jpeg_reason"] = None if verdict is None else str(verdict[0])
        frame.at[i, "jpeg_detail"] = None if verdict is None else verdict[1]
        frame.at[i, "exif_error"] = None if rec is None else rec.error
        frame.at[i, "tags"] = None if rec is None else json.dumps(rec.tags, default=str)
    log.info("%d files probed now, %d known", int(todo.sum()), int((~todo).sum()))
    return frame[list(PROBE_COLUMNS)]


def build_inventory(
    probes: pd.DataFrame,
    settings: InventorySettings,
    deployments: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place the probed files in deployments and correct their times.

    Args:
        probes: :func:`probe_files` rows of every file of the season.
        settings: where and how to read.
        deployments: from :func:`trapline.stations.read_stations`.

    Returns:
        ``(images, quarantine)`` frames following :data:`trapline.tables.INVENTORY`
        and :data:`trapline.tables.QUARANTINE`.
    """
    probes = probes.sort_values("path", ignore_index=True)
    files = [
        SeasonFile(p, s, m)
        for p, s, m in probes[["path", "size", "mtime_ns"]].itertuples(index=False)
    ]
    log.info("%d files under %s", len(files), settings.images_root)
    held: list[Quarantined] = []
    candidates = _place(files, settings.layout, deployments, held)
    candidates = candidates.merge(probes.drop(columns=["size", "mtime_ns"]), on="path")
    candidates = _intact(candidates, held)
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


def _intact(candidates: pd.DataFrame, held: list[Quarantined]) -> pd.DataFrame:
    """Drop empty, unreadable, non-JPEG and truncated files (probed per shard)."""
    bad = candidates["jpeg_reason"].notna()
    for row in candidates[bad].itertuples():
        held.append(
            Quarantined(
                row.path,
                "inventory",
                Reason(row.jpeg_reason),
                row.jpeg_detail,
                row.station,
                row.camera,
            )
        )
    return candidates[~bad].reset_index(drop=True)


def _read_exif(
    candidates: pd.DataFrame,
    settings: InventorySettings,
    deployments: pd.DataFrame,
    held: list[Quarantined],
) -> pd.DataFrame:
    """Parse and correct times from the probed EXIF, check deployment windows."""
    tags = pd.DataFrame(
        [json.loads(t) if t else {} for t in candidates["tags"]],
        index=candidates.index,
    )
    errors = candidates["exif_error"].where(candidates["exif_error"].notna(), None)
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


def probe_shard(manifest: str, images_root: str, workers: int, probes_out: str) -> None:
    """One shard's probes, reusing the rows of the previous run's output."""
    known = None
    if Path(probes_out).is_file():
        known = pd.read_parquet(probes_out).assign(probed=True)
    files = read_manifest(manifest)
    probes = probe_files(files, Path(images_root), workers, known)
    write_atomic(Path(probes_out), lambda tmp: probes.to_parquet(tmp, index=False))


def inventory_season(
    probes_in: list[str],
    images_root: str,
    stations: str,
    layout: str,
    timezone: str,
    columns: dict[str, str],
    date_format: str | None,
    images_out: str,
    quarantine_out: str,
) -> None:
    """The inventory stage: every shard's probes, the stations table, two tables."""
    deployments = read_stations(
        stations, timezone, StationColumns(**columns), date_format
    )
    settings = InventorySettings(
        Path(images_root), FolderLayout.parse(layout), timezone
    )
    probes = pd.concat([pd.read_parquet(p) for p in probes_in], ignore_index=True)
    images, quarantine = build_inventory(probes, settings, deployments)
    INVENTORY.write(images, images_out)
    QUARANTINE.write(quarantine, quarantine_out)
