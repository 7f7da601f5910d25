"""Write the ground truth: station table, truth tables and MegaDetector JSON.

Column names and file names here are a contract with the rest of trapline
(and with its tests), so they are spelled out literally in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from trapline.simulate.deployment import Camera, format_offset
from trapline.simulate.plan import Shot
from trapline.simulate.population import FOX, LYNX, Individual
from trapline.simulate.render import Box
from trapline.simulate.settings import SeasonSettings

READABLE_KINDS = frozenset(
    {"image", "empty", "no_exif", "outside_deployment", "unknown_station"}
)
"""Kinds that decode as images: MegaDetector would process them."""
MD_CATEGORIES = {"1": "animal", "2": "person", "3": "vehicle"}
MD_CLASSES = {"0": LYNX, "1": FOX}


def _times(values: list, tz: str) -> pd.Series:
    return pd.Series(pd.to_datetime(values, utc=True)).dt.tz_convert(tz)


def stations_table(cameras: list[Camera]) -> pd.DataFrame:
    """camtrapR CTtable: one row per station x camera."""
    return pd.DataFrame(
        {
            "Station": [c.station for c in cameras],
            "Camera": [c.camera for c in cameras],
            "utm_x": [round(c.x) for c in cameras],
            "utm_y": [round(c.y) for c in cameras],
            "Setup_date": [c.setup.date().isoformat() for c in cameras],
            "Retrieval_date": [c.retrieval.date().isoformat() for c in cameras],
            "Problem1_from": [
                c.problem_from.isoformat() if c.problem_from else "" for c in cameras
            ],
            "Problem1_to": [
                c.problem_to.isoformat() if c.problem_to else "" for c in cameras
            ],
            "Clock_offset": [format_offset(c.clock_offset) for c in cameras],
        }
    )


def detections_table(
    shots: list[Shot], boxes: Mapping[str, list[Box | None]], tz: str
) -> pd.DataFrame:
    """One row per true box, in path order."""
    rows = []
    for shot in shots:
        for truth, box in zip(shot.truths, boxes.get(shot.path, []), strict=False):
            if box is None:
                continue
            rows.append(
                {
                    "path": shot.path,
                    "category": truth.category,
                    "species": truth.species,
                    "individual_id": truth.individual_id,
                    "flank": truth.flank,
                    "bbox_x": box[0],
                    "bbox_y": box[1],
                    "bbox_w": box[2],
                    "bbox_h": box[3],
                    "station": shot.station,
                    "camera": shot.camera,
                    "event_id": shot.event_id,
                    "encounter_id": shot.encounter_id,
                    "frame": shot.frame,
                    "datetime": shot.when,
                }
            )
    table = pd.DataFrame(rows, columns=list(rows[0]) if rows else None)
    if rows:
        table["datetime"] = _times(list(table["datetime"]), tz)
        table["frame"] = table["frame"].astype("int64")
    return table


def files_table(shots: list[Shot], tz: str) -> pd.DataFrame:
    """One row per file under images/."""
    table = pd.DataFrame(
        {
            "path": [s.path for s in shots],
            "kind": [s.kind for s in shots],
            "expected_reason": [s.expected_reason for s in shots],
            "datetime_true": [s.when for s in shots],
            "datetime_exif": [
                s.stamp.datetime_original if s.stamp else None for s in shots
            ],
            "station": [s.station for s in shots],
            "camera": [s.camera for s in shots],
            "event_id": [s.event_id for s in shots],
        }
    )
    table["datetime_true"] = _times(list(table["datetime_true"]), tz)
    return table


def individuals_table(
    individuals: list[Individual], detections: pd.DataFrame
) -> pd.DataFrame:
    """Population truth with how often each animal was photographed."""
    lynx = detections[detections["species"] == LYNX] if len(detections) else detections
    table = pd.DataFrame(
        {
            "individual_id": [i.individual_id for i in individuals],
            "species": LYNX,
            "in_catalogue": [i.in_catalogue for i in individuals],
            "ac_x": [i.ac_x for i in individuals],
            "ac_y": [i.ac_y for i in individuals],
        }
    )
    for column, source, how in (
        ("n_detections", "path", "size"),
        ("n_events", "event_id", "nunique"),
        ("n_stations", "station", "nunique"),
    ):
        counts = lynx.groupby("individual_id")[source].agg(how) if len(lynx) else {}
        table[column] = [int(counts.get(i, 0)) for i in table["individual_id"]]
    return table


def megadetector_json(shots: list[Shot], boxes: Mapping[str, list[Box | None]]) -> dict:
    """True boxes in MegaDetector batch-output format 1.4 (readable images only)."""
    category = {v: k for k, v in MD_CATEGORIES.items()}
    species_class = {v: k for k, v in MD_CLASSES.items()}
    images = []
    for shot in sorted(shots, key=lambda s: s.path):
        if shot.kind not in READABLE_KINDS:
            continue
        detections = []
        for truth, box in zip(shot.truths, boxes.get(shot.path, []), strict=False):
            if box is None:
                continue
            det = {"category": category[truth.category], "conf": 1.0, "bbox": list(box)}
            if truth.species in species_class:
                det["classifications"] = [[species_class[truth.species], 1.0]]
            detections.append(det)
        images.append({"file": shot.path, "detections": detections})
    return {
        "info": {
            "format_version": "1.4",
            "detector": "trapline-simulator",
            "detector_metadata": {"typical_detection_threshold": 0.5},
        },
        "detection_categories": MD_CATEGORIES,
        "classification_categories": MD_CLASSES,
        "images": images,
    }


def write_truth(
    out_dir: Path,
    settings: SeasonSettings,
    cameras: list[Camera],
    individuals: list[Individual],
    shots: list[Shot],
    boxes: Mapping[str, list[Box | None]],
) -> pd.DataFrame:
    """Write stations.csv and truth/*; return the detections table."""
    truth = out_dir / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    stations_table(cameras).to_csv(out_dir / "stations.csv", index=False)
    shots = sorted(shots, key=lambda s: s.path)
    detections = detections_table(shots, boxes, settings.timezone)
    detections.to_parquet(truth / "detections.parquet", index=False)
    files_table(shots, settings.timezone).to_parquet(
        truth / "files.parquet", index=False
    )
    individuals_table(individuals, detections).to_parquet(
        truth / "individuals.parquet", index=False
    )
    md = megadetector_json(shots, boxes)
    (truth / "megadetector.json").write_text(json.dumps(md, indent=1) + "\n")
    # ``processes`` changes speed, not data, so it stays out of the record.
    record = {k: v for k, v in settings.to_dict().items() if k != "processes"}
    (truth / "settings.json").write_text(json.dumps(record, indent=2) + "\n")
    return detections
