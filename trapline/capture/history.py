"""Histories: individual × occasion for capture–recapture, station × occasion for
occupancy.

The individual history is what secr, MARK and closed-population estimators
read: for each individual, whether (``o1``…) and how often (``n1``…) it was
captured on each occasion of its session, and MARK's ``ch`` string. The species
detection history is camtrapR's ``detectionHistory``: 1 where the species was
recorded at a station on an occasion, 0 where the station worked and it was not,
NA where the station had no effort (not set up, or set up but not working).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trapline.capture.occasions import OccasionGrid

HISTORY_KEYS = ["Session", "Individual", "Species"]


def occasions_per_session(grid: OccasionGrid) -> pd.Series:
    """How many occasions each session's history has."""
    occ = grid.occasions
    return occ[occ["in_history"]].groupby("Session")["Occasion"].max().astype(int)


def capture_history(captures: pd.DataFrame, grid: OccasionGrid) -> pd.DataFrame:
    """Individual × occasion history from the kept capture events.

    Args:
        captures: capture events with ``Session, Individual, Species, Station,
            Occasion``.
        grid: the occasions.

    Returns:
        One row per session × individual: ``Session, Individual, Species, ch``
        (MARK string over the session's occasions), ``n_captures`` (events),
        ``n_occasions`` (occasions with a capture), ``n_stations``,
        ``first_occasion``, then ``o1…oK`` (0/1) and ``n1…nK`` (events), K the
        most occasions of any session (NA beyond a session's own).
    """
    k_by_session = occasions_per_session(grid)
    k_max = int(k_by_session.max()) if len(k_by_session) else 0
    o_cols = [f"o{k}" for k in range(1, k_max + 1)]
    n_cols = [f"n{k}" for k in range(1, k_max + 1)]
    base = [
        "Session",
        "Individual",
        "Species",
        "ch",
        "n_captures",
        "n_occasions",
        "n_stations",
        "first_occasion",
    ]
    if captures.empty:
        return pd.DataFrame(columns=base + o_cols + n_cols)
    counts = (
        captures.groupby(HISTORY_KEYS + ["Occasion"]).size().unstack("Occasion")
    ).reindex(columns=range(1, k_max + 1))
    counts = counts.fillna(0).astype("int64")
    k_row = counts.index.get_level_values("Session").map(k_by_session).to_numpy()
    beyond = np.arange(1, k_max + 1)[None, :] > k_row[:, None]
    binary = (counts.to_numpy() > 0).astype("int64")
    ch = ["".join(map(str, row[:k])) for row, k in zip(binary, k_row, strict=True)]
    frame = counts.index.to_frame(index=False)
    frame["ch"] = ch
    per = captures.groupby(HISTORY_KEYS)
    summary = pd.DataFrame(
        {
            "n_captures": per.size(),
            "n_occasions": per["Occasion"].nunique(),
            "n_stations": per["Station"].nunique(),
            "first_occasion": per["Occasion"].min(),
        }
    ).reset_index()
    frame = frame.merge(summary, on=HISTORY_KEYS)
    o = pd.DataFrame(binary, columns=o_cols).mask(beyond).astype("Int64")
    n = pd.DataFrame(counts.to_numpy(), columns=n_cols).mask(beyond).astype("Int64")
    out = pd.concat([frame.reset_index(drop=True), o, n], axis=1)
    return out.sort_values(["Session", "Individual"]).reset_index(drop=True)[
        base + o_cols + n_cols
    ]


def detection_history(
    events: pd.DataFrame, grid: OccasionGrid, species: list[str]
) -> pd.DataFrame:
    """Species × station × occasion detections for occupancy models.

    Args:
        events: kept species events with ``Session, Station, Species, Occasion``.
        grid: the occasions (its ``effort`` lists every station × occasion).
        species: the species to tabulate (every species with a record).

    Returns:
        ``Session, Species, Station, Occasion, effort, detected`` (1/0, NA where
        the effort is NA or 0) and ``n_events`` (NA likewise).
    """
    cells = grid.effort[["Session", "Station", "Occasion", "effort"]]
    if not species or cells.empty:
        return pd.DataFrame(
            columns=["Session", "Species", "Station", "Occasion", "effort"]
            + ["detected", "n_events"]
        )
    table = pd.concat([cells.assign(Species=s) for s in species], ignore_index=True)
    counts = (
        events.groupby(["Session", "Species", "Station", "Occasion"])
        .size()
        .rename("n")
        .reset_index()
    )
    table = table.merge(
        counts, on=["Session", "Species", "Station", "Occasion"], how="left"
    )
    worked = table["effort"].fillna(0) > 0
    n = table["n"].fillna(0).astype("int64")
    table["n_events"] = pd.array(n, dtype="Int32")
    table.loc[~worked, "n_events"] = pd.NA
    table["detected"] = pd.array((n > 0).astype(int), dtype="Int8")
    table.loc[~worked, "detected"] = pd.NA
    return table.sort_values(["Session", "Species", "Station", "Occasion"])[
        ["Session", "Species", "Station", "Occasion", "effort", "detected", "n_events"]
    ].reset_index(drop=True)
