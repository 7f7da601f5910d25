"""Occupancy inputs in unmarked's wide CSV layout, one file per species.

Columns follow ``unmarked::formatWide``/``csvToUMF``: ``site``, detections
``y.1…y.K`` (NA where the station had no effort), the observation covariate
``effort.1…effort.K`` (days), then site covariates (``session`` and the stations
table's extra columns). ``read.csv`` reads it as it is; ``formatWide(df,
type = "unmarkedFrameOccu")`` turns it into an unmarked frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from trapline.io import write_atomic


def species_file(species: str) -> str:
    """File name of a species' table: ``Lynx_lynx.csv``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", species).strip("_") + ".csv"


def wide_table(
    history: pd.DataFrame, traps: pd.DataFrame, species: str
) -> pd.DataFrame:
    """One species' detection history as an unmarked wide table."""
    one = history[history["Species"] == species]
    k = int(one["Occasion"].max()) if len(one) else 0
    y = one.pivot(index=["Session", "Station"], columns="Occasion", values="detected")
    e = one.pivot(index=["Session", "Station"], columns="Occasion", values="effort")
    y = y.reindex(columns=range(1, k + 1))
    e = e.reindex(columns=range(1, k + 1))
    y.columns = [f"y.{i}" for i in y.columns]
    e.columns = [f"effort.{i}" for i in e.columns]
    table = pd.concat([y.astype("Float64"), e], axis=1).reset_index()
    sessions = table["Session"].nunique()
    table.insert(
        0,
        "site",
        table["Station"]
        if sessions <= 1
        else table["Session"].astype(str) + "_" + table["Station"],
    )
    covs = traps.drop(columns=["x", "y", "n_cameras"]).rename(
        columns={"Detector": "Station"}
    )
    table = table.merge(covs, on=["Session", "Station"], how="left")
    table = table.rename(columns={"Session": "session", "Station": "station"})
    for col in [c for c in table.columns if c.startswith("y.")]:
        table[col] = table[col].astype("Int64")
    return table


def write_occupancy(
    history: pd.DataFrame, traps: pd.DataFrame, folder: Path
) -> list[Path]:
    """Write one CSV per species into ``folder`` (NA written as ``NA``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for species in sorted(set(history["Species"])):
        table = wide_table(history, traps, species)
        path = folder / species_file(species)
        write_atomic(path, lambda tmp, t=table: t.to_csv(tmp, index=False, na_rep="NA"))
        written.append(path)
    return written
