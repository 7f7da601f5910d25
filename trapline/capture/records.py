"""Records: one image showing one animal, with where and when it was taken.

Individual records come from identities (target species only, already filtered by
identification) joined to their crops and images; species records from every
animal box in ``detections.parquet``. A box without a species label counts as
``unknown``: trapline does not guess a species for it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pandas as pd

from trapline.species.labels import UNKNOWN

RECORD_COLUMNS = [
    "Session",
    "Station",
    "Camera",
    "deployment_id",
    "DateTimeOriginal",
    "image_id",
    "Directory",
    "FileName",
]


def image_columns(images: pd.DataFrame, deployments: pd.DataFrame) -> pd.DataFrame:
    """Image columns under camtrapR names, with each deployment's session (and
    ``path``, to join truth tables on)."""
    images = images.reset_index(drop=True)
    session = deployments.set_index("deployment_id")["session"]
    path = images["path"].map(PurePosixPath)
    return pd.DataFrame(
        {
            "Session": images["deployment_id"].map(session),
            "Station": images["station"],
            "Camera": images["camera"],
            "deployment_id": images["deployment_id"],
            "DateTimeOriginal": images["datetime"],
            "image_id": images["image_id"],
            "Directory": path.map(lambda p: str(p.parent)),
            "FileName": path.map(lambda p: p.name),
            "path": images["path"],
        }
    )


def individual_records(
    identities: pd.DataFrame,
    crops: pd.DataFrame,
    images: pd.DataFrame,
    deployments: pd.DataFrame,
) -> pd.DataFrame:
    """One record per crop with an individual: ``Session, Station, Camera,
    deployment_id, Species, Individual, DateTimeOriginal, image_id, crop_id,
    Directory, FileName, Flank, is_new, source, score``."""
    img = image_columns(images, deployments)
    crop = crops[["crop_id", "image_id", "species"]]
    joined = (
        identities.merge(crop, on="crop_id", how="inner")
        .merge(img, on="image_id", how="inner")
        .rename(
            columns={
                "individual_id": "Individual",
                "species": "Species",
                "flank": "Flank",
            }
        )
    )
    joined["Species"] = joined["Species"].fillna(UNKNOWN)
    joined["Flank"] = joined["Flank"].fillna("unknown")
    return joined[
        RECORD_COLUMNS
        + ["Species", "Individual", "crop_id", "Flank", "is_new", "source", "score"]
    ].reset_index(drop=True)


def species_records(
    detections: pd.DataFrame, images: pd.DataFrame, deployments: pd.DataFrame
) -> pd.DataFrame:
    """One record per image × species of its animal boxes: the image columns,
    ``Species`` and ``count`` (boxes of that species in the image)."""
    animals = detections[detections["category"] == "animal"]
    species = animals["species"] if "species" in animals else None
    animals = animals.assign(
        Species=(species if species is not None else pd.Series(dtype=object))
        .fillna(UNKNOWN)
        .replace("", UNKNOWN)
    )
    counts = animals.groupby(["image_id", "Species"], as_index=False).size()
    img = image_columns(images, deployments)
    out = counts.merge(img, on="image_id", how="inner").rename(
        columns={"size": "count"}
    )
    return out[RECORD_COLUMNS + ["Species", "count"]].reset_index(drop=True)
