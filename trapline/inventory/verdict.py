"""The inventory's verdict: which files are usable images, and why the rest are not.

Cheap checks in order of cost (extension, folder layout, stations table, the
probed JPEG markers, EXIF time, deployment window) on a shard's probes; each file
ends in exactly one of the images and the quarantine frames. Duplicates span shards
(one card copied into two station folders is two shards), so they are found once
for the season (:func:`set_aside_duplicates`) over every shard's accepted images.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os

import pandas as pd

from trapline.inventory.exif import oriented_size, tag_column
from trapline.inventory.files import JPEG_EXTENSIONS, SeasonFile, image_id
from trapline.inventory.keywords import keyword_columns, species_name
from trapline.inventory.layout import FolderLayout
from trapline.inventory.settings import InventorySettings
from trapline.inventory.stations import deployment_id
from trapline.inventory.timestamps import parse_exif_times
from trapline.quarantine import Quarantined, Reason, quarantine_frame
from trapline.tables import INVENTORY

log = logging.getLogger(__name__)


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
    held: list[Quarantined] = []
    candidates = _place(files, settings.folder_layout, deployments, held)
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
        species = layout.species(f.path)
        species = None if species is None else species_name(species.replace("_", " "))
        rows.append((f.path, station, camera, dep, f.size, f.mtime_ns, species))
    return pd.DataFrame(
        rows,
        columns=[
            "path",
            "station",
            "camera",
            "deployment_id",
            "file_size",
            "mtime_ns",
            "folder_species",
        ],
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
    frame = _images_frame(
        candidates[usable], tags[usable], times[usable], corrected[usable], dep[usable]
    )
    tagged = keyword_columns(tags[usable], settings.tags)
    tagged["path"] = candidates.loc[usable, "path"]
    frame = frame.drop(columns=list(tagged.columns[:-1])).merge(tagged, on="path")
    return frame[INVENTORY.names]


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

    width, height = oriented_size(
        number("ImageWidth"), number("ImageHeight"), number("Orientation")
    )
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
            "width": width,
            "height": height,
            "trigger_mode": tag("TriggerMode"),
            "sequence": tag("Sequence"),
            "temperature_c": number("AmbientTemperature"),
            "file_size": cand["file_size"],
            "file_mtime": pd.to_datetime(cand["mtime_ns"], unit="ns", utc=True),
            "tag_species": None,
            "tag_individuals": None,
            "folder_species": cand["folder_species"],
        }
    )
    return frame.sort_values("path", ignore_index=True)[INVENTORY.names]


DUPLICATE_KEY = ("file_size", "datetime_exif", "serial")
"""What two copies of one image always share: a cheap first pass, so that only the
few files that share all three are read in full and hashed."""


def set_aside_duplicates(
    images: pd.DataFrame, source: pd.Series
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Keep the first copy (by path) of images whose bytes are identical.

    The same card copied into two station folders would otherwise be one animal
    photographed twice at two stations: a spatial recapture that never happened.

    Args:
        images: the season's accepted images (:data:`trapline.tables.INVENTORY`).
        source: each image's file to read (absolute path; None where unknown, then
            the image is kept), on the same unique index.

    Returns:
        The images without the later copies, and one ``duplicate`` per copy
        naming the first.
    """
    key = list(DUPLICATE_KEY)
    candidates = images[images.duplicated(key, keep=False)].sort_values("path")
    hashes = {
        i: file_digest(source[i]) if isinstance(source[i], str) else None
        for i in candidates.index
    }
    unread = [candidates.at[i, "path"] for i, h in hashes.items() if h is None]
    if unread:
        log.warning("%d possible duplicates unread, kept: %s", len(unread), unread[:3])
    candidates = candidates.assign(digest=pd.Series(hashes, dtype=object))
    candidates = candidates[candidates["digest"].notna()]
    first = candidates.groupby("digest")["path"].transform("first")
    later = candidates[candidates["path"] != first]
    held = [
        Quarantined(
            row.path,
            "inventory",
            Reason.DUPLICATE,
            f"the same bytes as {first[i]} (kept)",
            row.station,
            None if pd.isna(row.camera) else row.camera,
        )
        for i, row in zip(later.index, later.itertuples(), strict=True)
    ]
    log.info("%d duplicate images set aside", len(held))
    return images.drop(index=later.index), held


def file_digest(path: str) -> str | None:
    """BLAKE2b of a file's bytes, or None when it cannot be read now (then the
    image is kept: a copy is only set aside when its bytes were compared)."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "blake2b").hexdigest()
    except OSError as err:
        log.warning("cannot read %s to compare copies: %s", path, err)
        return None
