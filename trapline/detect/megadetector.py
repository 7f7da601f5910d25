"""MegaDetector batch-output JSON: read results made elsewhere, write ours.

Programmes often have MegaDetector results already (an earlier run, AddaxAI,
Timelapse), and Timelapse and AddaxAI open the same format, so trapline both
imports it (``detector: precomputed``) and writes it. Paths in imported files are
matched to the inventory whatever root they were written against.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from trapline.io import write_atomic
from trapline.quarantine import Quarantined, Reason
from trapline.tables import RAW_DETECTIONS

log = logging.getLogger(__name__)

CATEGORIES = {"1": "animal", "2": "person", "3": "vehicle"}
"""MegaDetector's category ids and names."""
CATEGORY_IDS = {name: cid for cid, name in CATEGORIES.items()}
FORMAT_VERSION = "1.4"


class PrecomputedError(ValueError):
    """The precomputed file cannot be used."""


def box_rows(
    image_id: str,
    detections: list[dict[str, Any]],
    detector: str,
    categories: dict[str, str] = CATEGORIES,
    classes: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One image's MegaDetector detections as table rows, most confident first.

    Args:
        detections: MegaDetector dicts (``category``, ``conf``, ``bbox`` and
            optionally ``classifications``).
        categories: the file's ``detection_categories``.
        classes: the file's ``classification_categories``; the top classification
            becomes ``classifier_species``/``classifier_conf``.
    """
    rows = []
    ordered = sorted(detections, key=lambda d: -float(d["conf"]))
    for index, det in enumerate(ordered):
        x, y, w, h = det["bbox"]
        row = {
            "image_id": image_id,
            "det_index": index,
            "category": categories[det["category"]],
            "conf": float(det["conf"]),
            "bbox_x": x,
            "bbox_y": y,
            "bbox_w": w,
            "bbox_h": h,
            "detector": detector,
        }
        if classes and det.get("classifications"):
            cid, score = max(det["classifications"], key=lambda c: c[1])
            row["classifier_species"] = classes[cid]
            row["classifier_conf"] = float(score)
        rows.append(row)
    return rows


def raw_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of boxes as a frame with the raw-detections columns, even when empty.

    Boxes no classifier has seen get null ``classifier_species``/``classifier_conf``.
    """
    frame = pd.DataFrame(rows, columns=RAW_DETECTIONS.names)
    species = frame["classifier_species"].astype(object)
    frame["classifier_species"] = species.where(species.notna(), None)
    frame["classifier_conf"] = pd.array(frame["classifier_conf"], "Float64")
    return frame.astype({"det_index": "int32", "conf": "float64"})


class PathMatcher:
    """Find the inventory path a MegaDetector ``file`` entry names.

    Files may be relative to ``images_root`` (as trapline writes them), to a
    parent folder, or absolute, with either separator: the longest trailing run of
    folders that names an inventory path wins.
    """

    def __init__(self, paths: pd.Series) -> None:
        self.known = set(paths)

    def __call__(self, file: str) -> str | None:
        parts = file.replace("\\", "/").strip("/").split("/")
        for start in range(len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in self.known:
                return candidate
        return None


def write_batch_json(
    path: Path,
    images: pd.DataFrame,
    boxes: pd.DataFrame,
    detector: str,
) -> None:
    """Write boxes in MegaDetector batch-output format (``validate_batch_results``).

    Species labels, where boxes carry them, go in as MegaDetector classifications
    (``classification_categories`` and per-box ``classifications``), the way
    SpeciesNet and AddaxAI write them.

    Args:
        path: output file.
        images: the images to list (``image_id``, ``path``), empty ones included.
        boxes: boxes of those images.
        detector: the model (file) name recorded in ``info.detector``.
    """
    labels = boxes["species"].dropna() if "species" in boxes else pd.Series()
    classes = {name: str(i) for i, name in enumerate(sorted(labels.unique()))}
    grouped = dict(tuple(boxes.groupby("image_id", sort=False)))
    records = []
    for image_id, rel in images[["image_id", "path"]].itertuples(index=False):
        group = grouped.get(image_id)
        detections = [] if group is None else _detections(group, classes)
        records.append({"file": rel, "detections": detections})
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    payload: dict[str, Any] = {
        "info": {
            "format_version": FORMAT_VERSION,
            "detector": detector,
            "detection_completion_time": now,
        },
        "detection_categories": CATEGORIES,
    }
    if classes:
        payload["classification_categories"] = {v: k for k, v in classes.items()}
    payload["images"] = sorted(records, key=lambda r: r["file"])
    text = json.dumps(payload, indent=1)
    write_atomic(Path(path), lambda tmp: Path(tmp).write_text(text))


def _detections(group: pd.DataFrame, classes: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for row in group.sort_values("det_index").itertuples():
        box = (row.bbox_x, row.bbox_y, row.bbox_w, row.bbox_h)
        det: dict[str, Any] = {
            "category": CATEGORY_IDS[row.category],
            "conf": round(float(row.conf), 4),
            "bbox": [round(float(v), 4) for v in box],
        }
        species = getattr(row, "species", None)
        if isinstance(species, str):
            det["classifications"] = [[classes[species], float(row.species_conf)]]
        out.append(det)
    return out


def import_precomputed(
    json_in: Path, table_out: Path, key: str = "detect.precomputed"
) -> None:
    """A MegaDetector batch file as a table, one row per entry, for shard lookups.

    ``key``: the config key that named the file, for messages (a tagged
    catalogue's file is ``identify.catalogue_detections``).

    Raises:
        PrecomputedError: the file is not a MegaDetector batch-output file.
    """
    try:
        data = json.loads(Path(json_in).read_text())
        entries, categories = data["images"], data["detection_categories"]
    except (OSError, ValueError, KeyError) as err:
        raise PrecomputedError(
            f"config key '{key}' = {str(json_in)!r}: not a MegaDetector "
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
            "boxes": [_canonical(e.get("detections") or []) for e in entries],
        }
    )
    frame = _unique_entries(frame, json_in, key).drop(columns="boxes")
    frame["name"] = frame["file"].str.rsplit("/", n=1).str[-1]
    meta = {
        "categories": categories,
        "classes": data.get("classification_categories", {}),
        "source": Path(json_in).name,
    }
    table = pa_table(frame, meta)
    write_atomic(Path(table_out), lambda tmp: pq.write_table(table, tmp))


def _canonical(detections: list[dict]) -> str:
    """An entry's detections as text that is equal for equal boxes in any order."""
    return json.dumps(sorted(detections, key=lambda d: json.dumps(d, sort_keys=True)))


def _unique_entries(frame: pd.DataFrame, json_in: Path, key: str) -> pd.DataFrame:
    """One entry per file: identical repeats dropped, conflicting ones refused.

    Merging two MegaDetector runs often lists an image twice. Counted twice, its
    animals would double in every table (and in Camtrap DP's observations); two
    different results for one image cannot both be right.

    Raises:
        PrecomputedError: one file listed with different results, naming it.
    """
    repeated = frame.duplicated(["file", "failure", "boxes"])
    if repeated.any():
        log.warning(
            "%s lists %d entries twice (identical, e.g. %s): each is counted once",
            json_in,
            int(repeated.sum()),
            frame.loc[repeated, "file"].iloc[0],
        )
        frame = frame[~repeated].reset_index(drop=True)
    conflicting = frame["file"].duplicated(keep=False)
    if conflicting.any():
        files = sorted(set(frame.loc[conflicting, "file"]))
        raise PrecomputedError(
            f"config key '{key}' = {str(json_in)!r} lists {files[0]!r} "
            f"(and {len(files) - 1} more) twice with different results; keep one "
            "entry per image (e.g. the later run's) and run again"
        )
    return frame


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
        if rel in seen:
            _refuse_twice(rel, entry, entries, match, source)
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


def _refuse_twice(rel: str, entry, entries: pd.DataFrame, match, source: str) -> None:
    """An image listed twice under two spellings of its path (relative and
    absolute, say): identical entries count once, different ones stop the run.

    Raises:
        PrecomputedError: the two entries differ, naming the image.
    """
    same_image = entries[[match(f) == rel for f in entries["file"]]]
    boxes = same_image["detections"].map(lambda d: _canonical(json.loads(d)))
    results = same_image.assign(boxes=boxes)[["failure", "boxes"]].astype(str)
    results = results.drop_duplicates()
    if len(results) > 1:
        raise PrecomputedError(
            f"{source} lists image {rel!r} twice with different results "
            f"({', '.join(repr(f) for f in same_image['file'])}); keep one entry "
            "per image and run again"
        )


def pa_in(table, names: set[str]):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.is_in(
        table.column("name"), value_set=pa.array(sorted(names), pa.string())
    )
