"""Camera Trap Data Package (Camtrap DP 1.0.2): deployments, media, observations.

The exchange format GBIF, Agouti, Wildlife Insights and camtrapR
(``read_camtrapDP``) read. trapline writes media-level observations: one per
detector box (animal, human, vehicle) with its box, species and, for the target
species, ``individualID``; one ``blank`` observation per empty image.
Coordinates are converted from the stations table's projected metres to WGS84
with the configured ``stations_crs``. Camtrap DP has no field for problem
periods: they are listed in ``deploymentComments``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trapline.export.datapackage import PackageMetadata, descriptor
from trapline.io import write_atomic
from trapline.species.labels import UNKNOWN

# fmt: off
FIELDS = {
    "deployments": [
        "deploymentID", "locationID", "locationName", "latitude", "longitude",
        "coordinateUncertainty", "deploymentStart", "deploymentEnd", "setupBy",
        "cameraID", "cameraModel", "cameraDelay", "cameraHeight", "cameraDepth",
        "cameraTilt", "cameraHeading", "detectionDistance", "timestampIssues",
        "baitUse", "featureType", "habitat", "deploymentGroups", "deploymentTags",
        "deploymentComments",
    ],
    "media": [
        "mediaID", "deploymentID", "captureMethod", "timestamp", "filePath",
        "filePublic", "fileName", "fileMediatype", "exifData", "favorite",
        "mediaComments",
    ],
    "observations": [
        "observationID", "deploymentID", "mediaID", "eventID", "eventStart",
        "eventEnd", "observationLevel", "observationType", "cameraSetupType",
        "scientificName", "count", "lifeStage", "sex", "behavior", "individualID",
        "individualPositionRadius", "individualPositionAngle", "individualSpeed",
        "bboxX", "bboxY", "bboxWidth", "bboxHeight", "classificationMethod",
        "classifiedBy", "classificationTimestamp", "classificationProbability",
        "observationTags", "observationComments",
    ],
}
# fmt: on
"""Every field of the 1.0.2 table schemas, in order: a CSV must carry them all."""
OBSERVATION_TYPE = {"animal": "animal", "person": "human", "vehicle": "vehicle"}


def _iso(value: Any) -> str | None:
    """ISO 8601 with offset, whole seconds (Camtrap DP's ``%Y-%m-%dT%H:%M:%S%z``)."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).isoformat(timespec="seconds")


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of projected coordinates."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 6), np.round(lat, 6)


def deployments_table(
    deployments: pd.DataFrame, images: pd.DataFrame, crs: str
) -> pd.DataFrame:
    """Camtrap DP ``deployments`` from the stations table (and the images' EXIF)."""
    lon, lat = to_wgs84(deployments["x"], deployments["y"], crs)
    first = images.sort_values("datetime").groupby("deployment_id").first()
    serial = deployments["deployment_id"].map(first["serial"])
    model = deployments["deployment_id"].map(
        (first["make"].fillna("") + "-" + first["model"].fillna("")).str.strip("-")
    )
    sessions = deployments["session"].nunique()
    return pd.DataFrame(
        {
            "deploymentID": deployments["deployment_id"],
            "locationID": deployments["station"],
            "locationName": deployments["station"],
            "latitude": lat,
            "longitude": lon,
            "deploymentStart": deployments["window_start"].map(_iso),
            "deploymentEnd": deployments["window_end"].map(_iso),
            "cameraID": serial.replace("", None),
            "cameraModel": model.replace("", None),
            "deploymentGroups": (
                "session:" + deployments["session"].astype(str)
                if sessions > 1
                else None
            ),
            "deploymentComments": deployments["problems"].map(_problems),
        }
    )


def _problems(periods: list) -> str | None:
    if not periods:
        return None
    spans = ", ".join(f"{_iso(a)}/{_iso(b)}" for a, b in periods)
    return f"camera not working (stations table problem periods): {spans}"


def media_table(images: pd.DataFrame) -> pd.DataFrame:
    """Camtrap DP ``media``: every usable image."""
    time_lapse = images["trigger_mode"].fillna("").str.upper().eq("T")
    return pd.DataFrame(
        {
            "mediaID": images["image_id"],
            "deploymentID": images["deployment_id"],
            "captureMethod": np.where(time_lapse, "timeLapse", "activityDetection"),
            "timestamp": images["datetime"].map(_iso),
            "filePath": images["path"],
            "filePublic": "false",
            "fileName": images["path"].str.rsplit("/", n=1).str[-1],
            "fileMediatype": "image/jpeg",
        }
    )


def observations_table(
    images: pd.DataFrame,
    detections: pd.DataFrame,
    crops: pd.DataFrame,
    identities: pd.DataFrame,
) -> pd.DataFrame:
    """Camtrap DP ``observations`` at media level: boxes and blank images."""
    img = images.set_index("image_id")
    det = detections.merge(
        crops[["crop_id", "image_id", "det_index"]],
        on=["image_id", "det_index"],
        how="left",
    ).merge(identities, on="crop_id", how="left")
    det = det[det["image_id"].isin(img.index)]
    when = det["image_id"].map(img["datetime"]).map(_iso)
    species = det["species"] if "species" in det else pd.Series(None, index=det.index)
    named = species.notna() & (species != UNKNOWN) & (det["category"] == "animal")
    species_conf = det["species_conf"] if "species_conf" in det else np.nan
    reviewed = det["source"].isin(["review", "tag"])  # a person decided
    tags = [
        _tags(flank, source, score)
        for flank, source, score in zip(
            det["flank"], det["source"], det["score"], strict=True
        )
    ]
    boxes = {
        "bboxX": det["bbox_x"].clip(0, 1),
        "bboxY": det["bbox_y"].clip(0, 1),
        "bboxWidth": det["bbox_w"].clip(1e-6, 1),
        "bboxHeight": det["bbox_h"].clip(1e-6, 1),
    }
    probability = pd.Series(species_conf, index=det.index).where(named, det["conf"])
    obs = pd.DataFrame(
        {
            "observationID": det["image_id"] + "-" + det["det_index"].astype(str),
            "deploymentID": det["image_id"].map(img["deployment_id"]),
            "mediaID": det["image_id"],
            "eventID": det["image_id"].map(img["sequence_id"]),
            "eventStart": when,
            "eventEnd": when,
            "observationLevel": "media",
            "observationType": det["category"].map(OBSERVATION_TYPE).fillna("unknown"),
            "scientificName": species.where(named),
            "count": pd.array([1] * len(det), dtype="Int64"),
            "individualID": det["individual_id"],
            **{k: v.round(6) for k, v in boxes.items()},
            "classificationMethod": np.where(reviewed, "human", "machine"),
            "classifiedBy": np.where(
                det["individual_id"].notna(),
                "trapline (" + det["detector"].astype(str) + ", identify)",
                "trapline (" + det["detector"].astype(str) + ")",
            ),
            "classificationProbability": probability.clip(0, 1).round(4),
            "observationTags": tags,
        }
    )
    empty = images[images["is_empty"].fillna(False).astype(bool)]
    blank = pd.DataFrame(
        {
            "observationID": empty["image_id"] + "-blank",
            "deploymentID": empty["deployment_id"],
            "mediaID": empty["image_id"],
            "eventID": empty["sequence_id"],
            "eventStart": empty["datetime"].map(_iso),
            "eventEnd": empty["datetime"].map(_iso),
            "observationLevel": "media",
            "observationType": "blank",
            "classificationMethod": "machine",
            "classifiedBy": "trapline (no box above threshold)",
        }
    )
    return pd.concat([obs, blank], ignore_index=True).sort_values(
        ["deploymentID", "eventStart", "observationID"]
    )


def _tags(flank: Any, source: Any, score: Any) -> str | None:
    parts = []
    if isinstance(flank, str):
        parts.append(f"flank:{flank}")
    if isinstance(source, str):
        parts.append(f"identification:{source}")
    if score is not None and not pd.isna(score):
        parts.append(f"identificationProbability:{float(score):.3f}")
    return " | ".join(parts) or None


def write_camtrap_dp(
    deployments: pd.DataFrame,
    images: pd.DataFrame,
    detections: pd.DataFrame,
    crops: pd.DataFrame,
    identities: pd.DataFrame,
    metadata: PackageMetadata,
    folder: Path,
) -> Path:
    """Write the three tables and ``datapackage.json`` into ``folder``.

    Args:
        deployments: :func:`trapline.stations.read_stations` output.
        metadata: title, contributors, sampling design and the CRS of the
            stations table's coordinates.

    Returns:
        The path of ``datapackage.json``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "deployments": deployments_table(deployments, images, metadata.crs),
        "media": media_table(images),
        "observations": observations_table(images, detections, crops, identities),
    }
    for name, table in tables.items():
        table = table.reindex(columns=FIELDS[name])
        write_atomic(
            folder / f"{name}.csv",
            lambda tmp, t=table: t.to_csv(tmp, index=False, lineterminator="\n"),
        )
    package = descriptor(
        tables["deployments"],
        tables["media"],
        tables["observations"],
        metadata,
        individuals=bool(identities["individual_id"].notna().any()),
    )
    path = folder / "datapackage.json"
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(package, indent=2)))
    return path
