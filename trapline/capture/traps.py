"""The detectors of the spatial models: one per station, with its covariates.

A station is one detector however many cameras it has (secr's detector is a
place). Its covariates are the stations table's extra columns (anything that is
not a camtrapR column trapline reads), as camtrapR's ``stationCovariateCols``.
"""

from __future__ import annotations

import logging

import pandas as pd

from trapline.inventory.stations import covariate_columns

log = logging.getLogger(__name__)


def station_covariates(deployments: pd.DataFrame) -> pd.DataFrame:
    """Extra columns of the stations table, one row per station (``Station``).

    Numbers stay numbers; where the cameras of one station disagree the first
    row wins and a warning names the column.

    Args:
        deployments: :func:`~trapline.inventory.stations.read_deployments`, whose
            columns after the deployment's own are the table's extra columns.
    """
    station = deployments["station"]
    out = pd.DataFrame({"Station": station.drop_duplicates().to_numpy()})
    for col in covariate_columns(deployments):
        values = deployments[col].astype(object).replace("", pd.NA)
        per = values.groupby(station).agg(lambda v: v.dropna().unique().tolist())
        mixed = per[per.map(len) > 1]
        if len(mixed):
            log.warning(
                "stations table column %r differs between cameras of %s; using the "
                "first row's value",
                col,
                list(mixed.index),
            )
        first = per.map(lambda v: v[0] if v else pd.NA)
        number = pd.to_numeric(first, errors="coerce")
        is_numeric = number.notna().sum() == first.notna().sum()
        out[col] = out["Station"].map(number if is_numeric else first)
    return out


def traps_table(deployments: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """``Session, Detector, x, y, n_cameras`` and the covariates, one row per
    session × station.

    Raises:
        ValueError: cameras of one station have different coordinates (a
            detector has one position; split the station in the table).
    """
    by = deployments.groupby(["session", "station"], sort=True)
    spread = by[["x", "y"]].agg(lambda v: v.max() - v.min()).max(axis=1)
    if (spread > 0).any():
        bad = [s for _, s in spread[spread > 0].index]
        raise ValueError(
            f"stations {bad}: cameras of one station have different coordinates; a "
            "station is one detector, so give its cameras one x/y or make them "
            "separate stations"
        )
    traps = by.agg(
        x=("x", "first"), y=("y", "first"), n_cameras=("deployment_id", "size")
    ).reset_index()
    traps = traps.rename(columns={"session": "Session", "station": "Detector"})
    traps["n_cameras"] = traps["n_cameras"].astype("int32")
    covs = covariates.rename(columns={"Station": "Detector"})
    return traps.merge(covs, on="Detector", how="left")
