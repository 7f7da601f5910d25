"""MegaDetector batch-output JSON: read results made elsewhere, write ours.

Programmes often have MegaDetector results already (an earlier run, AddaxAI,
Timelapse), and Timelapse and AddaxAI open the same format, so trapline both
imports it (``detector: precomputed``) and writes it. Paths in imported files are
matched to the inventory whatever root they were written against.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from trapline.tables import RAW_DETECTIONS, write_atomic

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


def matched_boxes(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    conf_tol: float = 0.002,
    coord_tol: float = 0.0002,
) -> int:
    """How many boxes of ``theirs`` have a box in ``ours`` that says the same.

    Checks a run against MegaDetector's own runner on the same pixels; both are
    raw-detection frames (``image_id, category, conf, bbox_*``, e.g. from
    :func:`box_rows`). Boxes agree when image and category are equal and
    confidence and coordinates are within the tolerances: MegaDetector rounds to
    3 and 4 decimals, and arithmetic that differs only in the last float bits can
    flip a rounding. Each box is matched at most once.
    """
    columns = ["image_id", "category", "conf", "bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    free: dict[tuple[str, str], list[tuple]] = {}
    for box in ours[columns].itertuples(index=False, name=None):
        free.setdefault(box[:2], []).append(box)
    matched = 0
    for box in theirs[columns].itertuples(index=False, name=None):
        candidates = free.get(box[:2], [])
        for i, other in enumerate(candidates):
            close = abs(other[2] - box[2]) <= conf_tol and all(
                abs(a - b) <= coord_tol for a, b in zip(other[3:], box[3:], strict=True)
            )
            if close:
                matched += 1
                del candidates[i]
                break
    return matched


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
