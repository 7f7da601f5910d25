"""Detection per shard, cached per image, saved as it goes.

A shard's detection output doubles as its cache: every image is stored with the
size, mtime and detector it was detected with, so when a new card adds three
images to a shard, only those three reach the detector. Progress is saved every
``flush_every`` images (atomically), so a job killed half-way resumes where it
stopped. Images removed from the shard drop out of the output.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from trapline.detect.megadetector import (
    raw_frame,
)
from trapline.quarantine import Quarantined
from trapline.tables import SHARD_DETECTIONS

log = logging.getLogger(__name__)

KEY = ["path", "size", "mtime_ns", "detector_id"]


def readable_images(accepted: pd.DataFrame) -> pd.DataFrame:
    """The shard's images worth detecting on: those the inventory accepted.

    Args:
        accepted: the shard's ``inventory/shards/<shard>.parquet`` (the
            inventory's verdict), so no image set aside there reaches a model.

    Returns:
        ``path, size, mtime_ns, image_id``: the detect cache's key per image.
    """
    images = accepted[["path", "file_size", "mtime_ns", "image_id"]]
    return images.rename(columns={"file_size": "size"}).reset_index(drop=True)


def detector_id(weights: Path, image_size: int, min_conf: float) -> str:
    """What makes two detections of one image the same: model file and settings."""
    size = Path(weights).stat().st_size
    return f"{Path(weights).name}:{size}:{image_size}:{min_conf}"


def cached(out: Path, images: pd.DataFrame, detector: str) -> pd.DataFrame:
    """Rows of the previous output still valid for ``images`` and ``detector``."""
    if not Path(out).is_file():
        return SHARD_DETECTIONS.empty()
    previous = SHARD_DETECTIONS.read(out)
    wanted = images[["path", "size", "mtime_ns"]].assign(detector_id=detector)
    return previous.merge(wanted, on=KEY, how="inner")


def shard_rows(
    images: pd.DataFrame,
    boxes: pd.DataFrame,
    failed: list[Quarantined],
    detector: str,
) -> pd.DataFrame:
    """Boxes and failures of some images as shard rows (one row at least each)."""
    meta = images[["path", "size", "mtime_ns", "image_id"]].assign(detector_id=detector)
    with_boxes = meta.merge(boxes, on="image_id", how="inner")
    lost = {q.path: q for q in failed}
    alone = meta[~meta["image_id"].isin(boxes["image_id"])].copy()
    alone["failure_reason"] = alone["path"].map(
        lambda p: str(lost[p].reason) if p in lost else None
    )
    alone["failure_detail"] = alone["path"].map(
        lambda p: lost[p].detail if p in lost else None
    )
    frame = pd.concat([with_boxes, alone], ignore_index=True)
    for column in SHARD_DETECTIONS.names:
        if column not in frame:
            frame[column] = None
    frame["det_index"] = pd.array(frame["det_index"], "Int32")
    return frame[SHARD_DETECTIONS.names].sort_values(["path", "det_index"])


def detect_shard(
    images_in: Path,
    images_root: Path,
    settings,
    out: Path,
    flush_every: int = 200,
) -> int:
    """Detect the shard's images the output lacks; save every ``flush_every``.

    Args:
        settings: a :class:`trapline.detect.DetectorSettings`.

    Returns:
        How many images reached the detector now.
    """
    from trapline.detect.model import Detector

    images = readable_images(pd.read_parquet(images_in))
    detector = detector_id(settings.weights, settings.image_size, settings.min_conf)
    done = cached(out, images, detector)
    todo = images[~images["path"].isin(done["path"])].reset_index(drop=True)
    log.info(
        "%d images: %d to detect now, %d cached",
        len(images),
        len(todo),
        len(images) - len(todo),
    )
    if todo.empty:
        SHARD_DETECTIONS.write(done, out)
        return 0
    parts, unsaved = [done], 0
    for rows, failed, paths in Detector(settings).batches(images_root, todo):
        batch = todo[todo["path"].isin(paths)]
        parts.append(shard_rows(batch, raw_frame(rows), failed, detector))
        unsaved += len(batch)
        if unsaved >= flush_every:
            SHARD_DETECTIONS.write(pd.concat(parts, ignore_index=True), out)
            unsaved = 0
    SHARD_DETECTIONS.write(pd.concat(parts, ignore_index=True), out)
    log.info("detected %d images", len(todo))
    return len(todo)
