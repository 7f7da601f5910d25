"""Detection per shard, cached per image; imported results per shard; the merge.

A shard's detection output doubles as its cache: every image is stored with the
size, mtime and detector it was detected with, so when a new card adds three
images to a shard, only those three reach the detector. Progress is saved every
``flush_every`` images (atomically), so a job killed half-way resumes where it
stopped. Images removed from the shard drop out of the output.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from trapline.inventory import JPEG_EXTENSIONS, image_id
from trapline.mdformat import (
    CATEGORIES,
    PathMatcher,
    PrecomputedError,
    box_rows,
    raw_frame,
)
from trapline.quarantine import Quarantined, Reason, quarantine_frame
from trapline.tables import RAW_DETECTIONS, SHARD_DETECTIONS, write_atomic

log = logging.getLogger(__name__)

KEY = ["path", "size", "mtime_ns", "detector_id"]


def readable_images(probes: pd.DataFrame) -> pd.DataFrame:
    """The shard's files worth detecting on: intact JPEGs whose EXIF was read."""
    ok = (
        probes["path"].str.lower().str.endswith(tuple(JPEG_EXTENSIONS))
        & probes["jpeg_reason"].isna()
        & probes["exif_error"].isna()
    )
    images = probes.loc[ok, ["path", "size", "mtime_ns"]].reset_index(drop=True)
    images["image_id"] = images["path"].map(image_id)
    return images


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
    probes_in: Path,
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
    from trapline.detect import Detector

    images = readable_images(pd.read_parquet(probes_in))
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


def import_precomputed(json_in: Path, table_out: Path) -> None:
    """A MegaDetector batch file as a table, one row per entry, for shard lookups.

    Raises:
        PrecomputedError: the file is not a MegaDetector batch-output file.
    """
    try:
        data = json.loads(Path(json_in).read_text())
        entries, categories = data["images"], data["detection_categories"]
    except (OSError, ValueError, KeyError) as err:
        raise PrecomputedError(
            f"config key 'detect.precomputed' = {str(json_in)!r}: not a MegaDetector "
            f"batch-output file ({type(err).__name__}: {err})"
        ) from None
    frame = pd.DataFrame(
        {
            "file": [e["file"].replace("\\", "/") for e in entries],
            "failure": [
                e.get("failure")
                or (None if e.get("detections") is not None else "no detections")
                for e in entries
            ],
            "detections": [json.dumps(e.get("detections") or []) for e in entries],
        }
    )
    frame["name"] = frame["file"].str.rsplit("/", n=1).str[-1]
    meta = {
        "categories": categories,
        "classes": data.get("classification_categories", {}),
        "source": Path(json_in).name,
    }
    table = pa_table(frame, meta)
    write_atomic(Path(table_out), lambda tmp: pq.write_table(table, tmp))


def pa_table(frame: pd.DataFrame, meta: dict):
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.replace_schema_metadata({"trapline:precomputed": json.dumps(meta)})


def precomputed_boxes(
    images: pd.DataFrame, precomputed_in: Path
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Raw boxes of ``images`` (``path``, ``image_id``) from an imported file.

    Entries are matched to images by path (see :class:`PathMatcher`); an image
    the file does not list is reported as ``not_in_precomputed``, an entry marked
    as failed as ``detector_failed``.
    """
    table = pq.read_table(precomputed_in)
    meta = json.loads(table.schema.metadata[b"trapline:precomputed"])
    names = set(images["path"].str.rsplit("/", n=1).str[-1])
    entries = table.filter(pa_in(table, names)).to_pandas()
    match = PathMatcher(images["path"])
    ids = dict(zip(images["path"], images["image_id"], strict=True))
    rows, failed, seen = [], [], set()
    source = meta["source"]
    categories = meta["categories"] or CATEGORIES
    for entry in entries.itertuples(index=False):
        rel = match(entry.file)
        if rel is None:
            continue
        seen.add(rel)
        if isinstance(entry.failure, str):
            detail = f"{source}: {entry.failure}"
            failed.append(Quarantined(rel, "detect", Reason.DETECTOR_FAILED, detail))
            continue
        detections = json.loads(entry.detections)
        rows += box_rows(ids[rel], detections, source, categories, meta["classes"])
    failed += [
        Quarantined(p, "detect", Reason.NOT_IN_PRECOMPUTED, f"not listed in {source}")
        for p in sorted(set(images["path"]) - seen)
    ]
    return raw_frame(rows), failed


def import_shard(probes_in: Path, precomputed_in: Path, out: Path) -> None:
    """The shard's boxes from the imported MegaDetector file (no model)."""
    images = readable_images(pd.read_parquet(probes_in))
    raw, failed = precomputed_boxes(images, precomputed_in)
    source = json.loads(
        pq.read_schema(precomputed_in).metadata[b"trapline:precomputed"]
    )["source"]
    frame = shard_rows(images, raw, failed, f"precomputed:{source}")
    SHARD_DETECTIONS.write(frame, out)


def pa_in(table, names: set[str]):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.is_in(
        table.column("name"), value_set=pa.array(sorted(names), pa.string())
    )


def merge_shards(
    shards_in: list[Path], inventory: pd.DataFrame
) -> tuple[pd.DataFrame, list[Quarantined]]:
    """Every shard's boxes for the inventory's images, and the images that failed.

    Raises:
        RuntimeError: an inventory image is in no shard (a bug, never silent).
    """
    frames = [SHARD_DETECTIONS.read(p) for p in shards_in]
    shards = (
        pd.concat(frames, ignore_index=True) if frames else SHARD_DETECTIONS.empty()
    )
    shards = shards[shards["path"].isin(set(inventory["path"]))]
    missing = set(inventory["path"]) - set(shards["path"])
    if missing:
        raise RuntimeError(
            f"{len(missing)} inventory images have no detection record, e.g. "
            f"{sorted(missing)[:3]}: rerun the detect jobs of their shards"
        )
    places = inventory.set_index("path")[["station", "camera"]]
    failures = shards[shards["failure_reason"].notna()].drop_duplicates("path")
    failed = [
        Quarantined(
            row.path,
            "detect",
            Reason(row.failure_reason),
            row.failure_detail,
            places.at[row.path, "station"],
            places.at[row.path, "camera"],
        )
        for row in failures.itertuples()
    ]
    boxes = shards[shards["det_index"].notna()]
    raw = boxes[RAW_DETECTIONS.names].astype({"det_index": "int32"})
    return raw.reset_index(drop=True), failed


def merge_stage(
    shards_in: list[Path], inventory_in: Path, raw_out: Path, quarantine_out: Path
) -> None:
    """Write the season's raw boxes and detection failures from every shard."""
    from trapline.tables import INVENTORY, QUARANTINE

    raw, failed = merge_shards(shards_in, INVENTORY.read(inventory_in))
    RAW_DETECTIONS.write(raw, raw_out)
    QUARANTINE.write(quarantine_frame(failed), quarantine_out)
