"""Season inventory: every file under ``images_root``, used or set aside with a reason.

One directory walk (``os.scandir``), then cheap checks in order of cost: extension,
folder layout, stations table, JPEG markers, and only then exiftool for the files
still standing. Each file ends in exactly one of the images table and the
quarantine table, so nothing a field team copied off a card is lost unnoticed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from trapline.inventory.exif import ExifReader
from trapline.inventory.files import JPEG_EXTENSIONS, SeasonFile
from trapline.inventory.jpeg import check_jpeg

log = logging.getLogger(__name__)


PROBE_COLUMNS = (
    "path",
    "size",
    "mtime_ns",
    "jpeg_reason",
    "jpeg_detail",
    "exif_error",
    "tags",
    "probe_version",
)
"""Columns of a shard's probes (``inventory/probes/<shard>.parquet``, internal)."""

PROBE_VERSION = 3
"""What a probe checks and reads. Raise it when that changes (2: the header's pixel
size, the EXIF ``Orientation``; 3: the keyword tags): probes cached by an older
version are redone, so an unchanged file is not judged by the checks of a previous
release."""


def probe_files(
    files: list[SeasonFile],
    images_root: Path,
    workers: int = 1,
    known: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The per-file work of the inventory: JPEG integrity, then EXIF.

    This is the expensive part (a read of every file), done per shard and cached:
    a file whose path, size and mtime match a row of ``known`` probed by this
    :data:`PROBE_VERSION` is not read again.

    Returns:
        One row per file (:data:`PROBE_COLUMNS`): ``jpeg_reason``/``jpeg_detail``
        when the integrity check failed, ``exif_error`` or the EXIF ``tags`` (JSON).
    """
    key = ["path", "size", "mtime_ns"]
    frame = pd.DataFrame(
        [(f.path, f.size, f.mtime_ns) for f in files], columns=key
    ).astype({"size": "int64", "mtime_ns": "int64"})
    if known is not None and "probe_version" in known.columns:
        known = known[known["probe_version"] == PROBE_VERSION]
    else:
        known = None
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
    frame["probe_version"] = PROBE_VERSION
    log.info("%d files probed now, %d known", int(todo.sum()), int((~todo).sum()))
    return frame[list(PROBE_COLUMNS)]
