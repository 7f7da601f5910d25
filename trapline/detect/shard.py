"""Detection per shard, cached per image, saved as it goes.

A shard's detection output doubles as its cache: every image is stored with the
size, mtime and detector it was detected with, so when a new card adds three
images to a shard, only those three reach the detector. Progress is saved every
``flush_every`` images (atomically), so a job killed half-way resumes where it
stopped. Images removed from the shard drop out of the output. An image new to
the shard is first looked up in the folder's other shard outputs, so a shard
renamed by a new plan does not send its images to the detector again.
"""

from __future__ import annotations

import bisect
import glob
import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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
    """Rows of earlier outputs still valid for ``images`` and ``detector``.

    First the shard's own previous output, then, for images still missing, the
    outputs of the folder's other shards (``<station>.<camera>.*.parquet`` beside
    ``out``): a shard renamed by a new plan, or an image that moved to the next
    shard, keeps its detections. Taking another shard's rows is safe because the
    key (path, size, mtime_ns, detector_id) says the image and the detector are
    the ones those rows were made from. Each image's rows come from one file.
    """
    out = Path(out)
    wanted = images[["path", "size", "mtime_ns"]].assign(detector_id=detector)
    found = [_valid_rows(SHARD_DETECTIONS.read(out), wanted)] if out.is_file() else []
    missing = wanted[~wanted["path"].isin(found[0]["path"])] if found else wanted
    siblings = _sibling_outputs(out) if not missing.empty else []
    paths = sorted(missing["path"])
    for other in siblings:
        if not _may_hold(other, paths):
            continue
        try:  # another job's file: atomic, but maybe of an older contract
            previous = SHARD_DETECTIONS.read(other)[SHARD_DETECTIONS.names]
            rows = _valid_rows(previous, missing)
        except (OSError, KeyError, pa.ArrowException) as err:
            log.warning("cache: %s unreadable, skipped: %s", other.name, err)
            continue
        if rows.empty:
            continue
        log.info("cache: %d images from %s", rows["path"].nunique(), other.name)
        found.append(rows)
        missing = missing[~missing["path"].isin(rows["path"])]
        if missing.empty:
            break
        paths = sorted(missing["path"])
    if len(found) > 1:
        return pd.concat([f for f in found if not f.empty], ignore_index=True)
    return found[0] if found else SHARD_DETECTIONS.empty()


def _valid_rows(previous: pd.DataFrame, wanted: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``previous`` whose cache key is one of ``wanted``."""
    return previous.merge(wanted, on=KEY, how="inner")


def _sibling_outputs(out: Path) -> list[Path]:
    """The other shard outputs of ``out``'s station/camera folder, in name order.

    Shard ids are ``<station>.<camera>.<tag>`` (slugs without dots), so the prefix
    up to the last dot picks the folder's shards and only those are read.
    """
    shard = out.name.removesuffix(".parquet")
    if "." not in shard:
        return []
    prefix = shard.rsplit(".", 1)[0] + "."
    pattern = f"{glob.escape(prefix)}*.parquet"
    return sorted(p for p in out.parent.glob(pattern) if p.name != out.name)


def _may_hold(path: Path, paths: list[str]) -> bool:
    """Whether ``path``'s ``path`` column range holds one of ``paths`` (sorted).

    Read from the Parquet footer's statistics, so a folder of many shards costs a
    footer each, not a table each; True when the statistics are missing.
    """
    try:
        meta = pq.read_metadata(path)
        column = meta.schema.to_arrow_schema().get_field_index("path")
    except (OSError, pa.ArrowException):
        return False
    if column < 0:
        return False
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return True
        at = bisect.bisect_left(paths, stats.min)
        if at < len(paths) and paths[at] <= stats.max:
            return True
    return False


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


def resume_file(out: Path) -> Path:
    """Where a detect job saves as it goes: beside its output, not the output.

    A job killed by the OOM killer or a Slurm time limit fails, and Snakemake
    deletes a failed job's declared output; progress kept in the output itself
    would go with it. The resume file is not declared, so it survives, and the
    next run takes its images (its rows carry the same cache key).
    """
    return Path(out).with_name(Path(out).name + RESUME_SUFFIX)


RESUME_SUFFIX = ".resume"


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
    resume = resume_file(out)
    if resume.is_file():
        done = _with_resumed(done, resume, images, detector)
    todo = images[~images["path"].isin(done["path"])].reset_index(drop=True)
    log.info(
        "%d images: %d to detect now, %d cached",
        len(images),
        len(todo),
        len(images) - len(todo),
    )
    if todo.empty:
        SHARD_DETECTIONS.write(done, out)
        resume.unlink(missing_ok=True)
        return 0
    parts, unsaved = [done], 0
    for rows, failed, paths in Detector(settings).batches(images_root, todo):
        batch = todo[todo["path"].isin(paths)]
        parts.append(shard_rows(batch, raw_frame(rows), failed, detector))
        unsaved += len(batch)
        if unsaved >= flush_every:
            SHARD_DETECTIONS.write(pd.concat(parts, ignore_index=True), resume)
            unsaved = 0
    SHARD_DETECTIONS.write(pd.concat(parts, ignore_index=True), out)
    resume.unlink(missing_ok=True)
    log.info("detected %d images", len(todo))
    return len(todo)


def _with_resumed(
    done: pd.DataFrame, resume: Path, images: pd.DataFrame, detector: str
) -> pd.DataFrame:
    """``done`` plus the rows a killed job saved for images ``done`` lacks."""
    wanted = images[["path", "size", "mtime_ns"]].assign(detector_id=detector)
    try:
        saved = _valid_rows(
            SHARD_DETECTIONS.read(resume)[SHARD_DETECTIONS.names], wanted
        )
    except (OSError, KeyError, pa.ArrowException) as err:
        log.warning("resume file %s unreadable, ignored: %s", resume.name, err)
        return done
    saved = saved[~saved["path"].isin(done["path"])]
    log.info("resumed %d images a killed job had detected", saved["path"].nunique())
    if saved.empty:
        return done
    return pd.concat([f for f in (done, saved) if len(f)], ignore_index=True)
