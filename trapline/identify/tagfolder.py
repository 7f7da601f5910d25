"""A catalogue built from a folder of tagged images (``identify.catalogue_kind:
tagged``).

Programmes that identified their animals by eye keep the answer in the images'
keywords (``Individual|LYX012``, optionally ``Flank|left``), in whatever folders
they sorted them into, not as one folder per animal. The workflow turns such a
folder into the catalogue table :func:`trapline.identify.catalogue.read_catalogue`
reads, so identification runs on it unchanged:

1. :func:`catalogue_images_stage` lists the folder's JPEGs and reads their
   keywords with the inventory's one batch exiftool call (the same tags, the same
   ``tags`` paths), keeping the images that name an individual;
2. the configured detector (or an imported MegaDetector file,
   ``identify.catalogue_detections``) finds the animals in them, as for a season
   shard;
3. :func:`catalogue_table_stage` pairs each tag with an animal box (the largest
   box when one individual is tagged; as many individuals as boxes pair left to
   right, as in a season, :mod:`trapline.identify.tags`) and writes ``path,
   individual_id, flank, bbox_x, bbox_y, bbox_w, bbox_h``. A tag that finds no box
   is never dropped in silence: it is logged and listed, with the reason, in the
   table of tags not placed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trapline.detect.boxes import kept_boxes
from trapline.detect.settings import Thresholds
from trapline.identify.catalogue import CatalogueError
from trapline.inventory.exif import ExifReader
from trapline.inventory.files import JPEG_EXTENSIONS, image_id, walk_season
from trapline.inventory.keywords import (
    TagSettings,
    flank_column,
    keyword_columns,
    split_values,
)
from trapline.io import write_atomic

log = logging.getLogger(__name__)

CATALOGUE_COLUMNS = ["path", "individual_id", "flank"] + [
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
]
"""The catalogue table's columns (:mod:`trapline.identify.catalogue` reads them)."""

NOT_PLACED_COLUMNS = ["path", "individual_id", "reason", "detail"]
"""One row per catalogue tag that found no animal box."""

IMAGE_COLUMNS = ["path", "file_size", "mtime_ns", "image_id"]
IMAGE_COLUMNS += ["tag_individuals", "tag_flank"]
"""The tagged images: the detect cache's key columns and the tags read."""


def catalogue_images_stage(folder: Path, settings: TagSettings, out: Path) -> None:
    """Write the tagged JPEGs of ``folder`` with their individual and flank tags.

    Args:
        folder: ``identify.catalogue``, any layout of folders.
        settings: config ``tags`` (the keyword paths of individual and flank).
        out: the images table, paths relative to ``folder``.

    Raises:
        CatalogueError: the folder has no JPEG, or none names an individual.
    """
    files = [
        f for f in walk_season(folder) if Path(f.path).suffix.lower() in JPEG_EXTENSIONS
    ]
    if not files:
        raise CatalogueError(
            f"config key 'identify.catalogue' = {str(folder)!r}: no JPEG images; "
            "point it at the folder of tagged images"
        )
    paths = [str(folder.resolve() / f.path) for f in files]
    with ExifReader(workers=1) as reader:
        records = {r.path: r for r in reader.read(paths)}
    unread = [p for p in paths if records[p].error]
    for path in unread:
        log.warning("%s: keywords not read (%s)", path, records[path].error)
    if unread:
        log.warning(
            "%s: %d of %d images unreadable, so not in the catalogue (listed above)",
            folder,
            len(unread),
            len(paths),
        )
    tags = pd.DataFrame([records[p].tags for p in paths])
    frame = pd.DataFrame(
        {
            "path": [f.path for f in files],
            "file_size": [f.size for f in files],
            "mtime_ns": [f.mtime_ns for f in files],
            "image_id": [image_id(f.path) for f in files],
            "tag_individuals": keyword_columns(tags, settings)["tag_individuals"],
            "tag_flank": flank_column(tags, settings),
        }
    )
    tagged = frame[frame["tag_individuals"].notna()].reset_index(drop=True)
    log.info(
        "%s: %d of %d images name an individual (%s|<id>)",
        folder,
        len(tagged),
        len(frame),
        settings.individual,
    )
    if tagged.empty:
        raise CatalogueError(
            f"config key 'identify.catalogue' = {str(folder)!r} with "
            f"'identify.catalogue_kind: tagged': none of its {len(frame)} images "
            f"carries an individual keyword ({settings.individual}"
            f"{settings.delimiter}<id>, config 'tags.individual'); tag them, or set "
            "'catalogue_kind: references' for a folder of <individual_id>/*.jpg"
        )
    write_atomic(out, lambda tmp: tagged[IMAGE_COLUMNS].to_parquet(tmp, index=False))


@dataclass(frozen=True)
class CatalogueInputs:
    """Where the catalogue rule reads."""

    images: Path
    detections: Path
    folder: Path


@dataclass(frozen=True)
class CatalogueOutputs:
    """Where the catalogue rule writes."""

    catalogue: Path
    not_placed: Path


def catalogue_table_stage(
    inputs: CatalogueInputs, settings: Thresholds, out: CatalogueOutputs
) -> pd.DataFrame:
    """Pair the tags with the detector's animal boxes; write the catalogue table
    and the table of tags not placed.

    Args:
        settings: config ``detect.thresholds`` (an animal box counts from
            ``animal`` up, as in the season).

    Raises:
        CatalogueError: no tag found a box (naming the table that says why).
    """
    images = pd.read_parquet(inputs.images)
    detections = pd.read_parquet(inputs.detections)
    boxes = kept_boxes(detections[detections["det_index"].notna()], settings)
    boxes = boxes[boxes["category"] == "animal"]
    failures = detections[detections["failure_reason"].notna()]
    failed = dict(zip(failures["image_id"], failures["failure_detail"], strict=True))
    table, not_placed = place_tags(images, boxes, failed)
    base = out.catalogue.resolve().parent
    folder = inputs.folder.resolve()
    table["path"] = [
        Path(os.path.relpath(folder / p, base)).as_posix() for p in table["path"]
    ]
    for line in not_placed.itertuples():
        log.warning(
            "catalogue tag not placed: %s: individual %r: %s (%s)",
            line.path,
            line.individual_id,
            line.reason,
            line.detail,
        )
    write_atomic(out.not_placed, lambda tmp: not_placed.to_csv(tmp, index=False))
    if table.empty:
        # Snakemake deletes a failed job's outputs (not_placed.csv among them):
        # the reasons go into the message itself, and every line is in the log.
        reasons = not_placed["reason"].value_counts().to_dict()
        first = not_placed.iloc[0]
        raise CatalogueError(
            f"catalogue folder {inputs.folder}: no tagged individual is on an animal "
            f"box; tags not placed by reason: {reasons}; e.g. {first.path}: "
            f"{first.individual_id!r}: {first.detail}. The rule's log lists every "
            "tag and why"
        )
    write_atomic(out.catalogue, lambda tmp: table.to_csv(tmp, index=False))
    log.info(
        "catalogue: %d references of %d individuals (%d tags not placed)",
        len(table),
        table["individual_id"].nunique(),
        len(not_placed),
    )
    return table


def place_tags(
    images: pd.DataFrame, boxes: pd.DataFrame, failed: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each tagged individual on one animal box of its image.

    One individual takes the image's largest box (the animal a person framed
    and tagged; a second box is most often a partial detection of the same
    animal or one in the background). Several individuals on one image are
    listed as not placed: keywords belong to the image, and which box is which
    is not in them, so no reference is built on a guess.

    Args:
        images: ``path, image_id, tag_individuals, tag_flank``.
        boxes: kept animal boxes (``image_id``, ``bbox_*``).
        failed: image id → why the detector has no result for it.

    Returns:
        ``(catalogue rows, tags not placed)``, paths as in ``images``.
    """
    boxes = boxes.assign(area=boxes["bbox_w"] * boxes["bbox_h"])
    by_image = dict(tuple(boxes.groupby("image_id")))
    rows: list[dict] = []
    lost: list[tuple[str, str, str, str]] = []
    for image in images.sort_values("path").itertuples():
        names = split_values(image.tag_individuals)
        mine = by_image.get(image.image_id)
        if mine is None:
            reason, detail = (
                ("not_detected", failed[image.image_id])
                if image.image_id in failed
                else (
                    "no_animal_box",
                    "the detector found no animal above its threshold",
                )
            )
            lost += [(image.path, n, reason, detail) for n in names]
            continue
        if len(names) > 1:
            lost += [
                (image.path, n, "several_individuals",
                 f"{len(names)} individuals tagged on {len(mine)} animal boxes: "
                 "which box is which is not in the tags")
                for n in names
            ]  # fmt: skip
            continue
        box = mine.sort_values(["area", "det_index"], ascending=[False, True]).iloc[0]
        flank = image.tag_flank if isinstance(image.tag_flank, str) else None
        rows.append(
            {
                "path": image.path,
                "individual_id": names[0],
                "flank": flank,
                "bbox_x": box.bbox_x,
                "bbox_y": box.bbox_y,
                "bbox_w": box.bbox_w,
                "bbox_h": box.bbox_h,
            }
        )
    table = pd.DataFrame(rows, columns=CATALOGUE_COLUMNS)
    return (
        table.sort_values(["individual_id", "path"], ignore_index=True),
        pd.DataFrame(lost, columns=NOT_PLACED_COLUMNS),
    )
