"""The Camtrap DP package descriptor (``datapackage.json``), version 1.0.2.

It names the published profile and table schemas by their URLs, as the standard
asks; the tests point a copy at the local schemas to validate offline. Camtrap DP
requires coverage metadata (spatial as GeoJSON in WGS84, temporal, taxonomic),
derived here from the tables, and a project and contributors from the config.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

VERSION = "1.0.2"
BASE = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{VERSION}"
PROFILE = f"{BASE}/camtrap-dp-profile.json"
TABLES = ("deployments", "media", "observations")


@dataclass(frozen=True)
class PackageMetadata:
    """Config ``camtrap_dp`` (and the top-level ``stations_crs``).

    Args:
        title: project and package title.
        contributors: people and organisations (Camtrap DP ``contributors``).
        sampling_design: Camtrap DP ``project.samplingDesign``.
        crs: the stations table's coordinate reference system (``stations_crs``).
    """

    title: str = "trapline camera-trap season"
    contributors: tuple[dict[str, str], ...] = ()
    sampling_design: str = "systematicRandom"
    crs: str = ""


def descriptor(
    deployments: pd.DataFrame,
    media: pd.DataFrame,
    observations: pd.DataFrame,
    metadata: PackageMetadata,
    individuals: bool,
) -> dict[str, Any]:
    """The ``datapackage.json`` content (profile and schemas: the published URLs)."""
    contributors = [dict(c) for c in metadata.contributors]
    if not contributors:
        log.warning(
            "camtrap_dp.contributors is empty: wrote a placeholder contact; set it "
            "before publishing the package"
        )
        contributors = [
            {"title": "unknown (set camtrap_dp.contributors)", "role": "contact"}
        ]
    lon, lat = deployments["longitude"], deployments["latitude"]
    if len(deployments) == 1 or (lon.nunique() == 1 and lat.nunique() == 1):
        spatial = {
            "type": "Point",
            "coordinates": [float(lon.iloc[0]), float(lat.iloc[0])],
        }
    else:
        w, e, s, n = (
            float(lon.min()),
            float(lon.max()),
            float(lat.min()),
            float(lat.max()),
        )
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        spatial = {"type": "Polygon", "coordinates": [ring]}
    names = sorted(set(observations["scientificName"].dropna()))
    methods = sorted(set(media["captureMethod"])) or ["activityDetection"]
    slug = (
        re.sub(r"[^a-z0-9._-]+", "-", metadata.title.lower()).strip("-") or "trapline"
    )
    return {
        "profile": PROFILE,
        "name": slug,
        "title": metadata.title,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "contributors": contributors,
        "project": {
            "title": metadata.title,
            "samplingDesign": metadata.sampling_design,
            "captureMethod": methods,
            "individualAnimals": individuals,
            "observationLevel": ["media"],
        },
        "spatial": spatial,
        "temporal": {
            "start": deployments["deploymentStart"].min()[:10],
            "end": deployments["deploymentEnd"].max()[:10],
        },
        "taxonomic": [{"scientificName": n, "taxonRank": "species"} for n in names],
        "resources": [
            {
                "name": table,
                "path": f"{table}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": f"{BASE}/{table}-table-schema.json",
            }
            for table in TABLES
        ],
    }
