"""Sampling occasions and the effort of every station in each of them.

An occasion is ``occasion_length_days`` consecutive days counted from ``day1``
(camtrapR's ``day1``: the session's first setup day, each station's own setup
day, or a fixed date). Occasions in which no station of a session worked at all
are left out of every history and export, and the rest are numbered 1, 2, … in
order, as camtrapR's ``spatialDetectionHistory`` does: secr requires at least one
used detector on every occasion, and a dead occasion would look like a round of
zero captures to MARK. ``capture/occasions.parquet`` keeps the left-out ones,
with their calendar number, so nothing disappears unexplained.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trapline.capture.operation import day_bounds, effort_day
from trapline.capture.settings import CaptureSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OccasionGrid:
    """Occasions of every session and the station × occasion effort.

    Attributes:
        first_days: ``Session, Station, first_day`` (the station's day 1).
        occasions: one row per session × calendar occasion: ``Session,
            calendar_occasion, Occasion`` (null when left out), ``start, end,
            days, effort, stations_operating, in_history``.
        effort: one row per session × station × occasion in the history:
            ``Session, Station, Occasion, start, end, effort, cameras_set_up``.
    """

    first_days: pd.DataFrame
    occasions: pd.DataFrame
    effort: pd.DataFrame
    length: int
    start_hour: int

    def assign(
        self, sessions: pd.Series, stations: pd.Series, times: pd.Series
    ) -> pd.DataFrame:
        """The calendar occasion and history ``Occasion`` of each record.

        Returns:
            ``calendar_occasion`` (null before day 1 or after the last occasion)
            and ``Occasion`` (null also where the occasion was left out), indexed
            like ``times``.
        """
        keys = pd.DataFrame(
            {"Session": sessions.to_numpy(), "Station": stations.to_numpy()},
            index=times.index,
        )
        first = keys.merge(self.first_days, on=["Session", "Station"], how="left")
        first.index = times.index
        day = effort_day(times, self.start_hour)
        offset = (day - first["first_day"]).dt.days
        calendar = offset // self.length + 1
        last = self.occasions.groupby("Session")["calendar_occasion"].max()
        valid = (offset >= 0) & (calendar <= keys["Session"].map(last))
        calendar = calendar.where(valid).astype("Int64")
        number = self.occasions.set_index(["Session", "calendar_occasion"])["Occasion"]
        lookup = pd.MultiIndex.from_arrays([keys["Session"], calendar.fillna(-1)])
        occasion = pd.Series(number.reindex(lookup).to_numpy(), index=times.index)
        return pd.DataFrame(
            {"calendar_occasion": calendar, "Occasion": occasion.astype("Int64")}
        )


def occasion_grid(
    operation: pd.DataFrame, settings: CaptureSettings | None = None
) -> OccasionGrid:
    """Cut the daily camera operation into occasions.

    Args:
        operation: :func:`trapline.capture.operation.camera_operation` output.
        settings: ``occasion_length_days``, ``day1``, ``occasion_start_hour``.
    """
    settings = settings or CaptureSettings()
    length, hour = settings.occasion_length_days, settings.occasion_start_hour
    op = operation.copy()
    op["first_day"] = _first_days(op, settings)
    op["calendar_occasion"] = (op["Date"] - op["first_day"]).dt.days // length + 1
    op = op[op["calendar_occasion"] >= 1]
    first_days = op.groupby(["Session", "Station"], as_index=False)["first_day"].first()
    cells = (
        op.groupby(["Session", "Station", "calendar_occasion"], as_index=False)
        .agg(
            effort=("effort", lambda e: e.sum(min_count=1)),
            cameras_set_up=("cameras_set_up", "max"),
        )
        .astype({"calendar_occasion": "int64"})
    )
    cells = _complete(cells, first_days, length, hour, operation)
    occasions = _number(cells)
    number = occasions.set_index(["Session", "calendar_occasion"])["Occasion"]
    cells["Occasion"] = number.reindex(
        pd.MultiIndex.from_frame(cells[["Session", "calendar_occasion"]])
    ).to_numpy()
    effort = cells[cells["Occasion"].notna()].astype({"Occasion": "int64"})
    effort = effort.sort_values(["Session", "Station", "Occasion"])[
        ["Session", "Station", "Occasion", "start", "end", "effort", "cameras_set_up"]
    ].reset_index(drop=True)
    return OccasionGrid(first_days, occasions, effort, length, hour)


def _first_days(op: pd.DataFrame, settings: CaptureSettings) -> pd.Series:
    if settings.fixed_day1 is not None:
        return pd.Series(pd.Timestamp(settings.fixed_day1), index=op.index)
    set_up = op["Date"].where(op["cameras_set_up"] > 0)
    by = ["Session"] if settings.day1 == "survey" else ["Session", "Station"]
    return set_up.groupby([op[c] for c in by]).transform("min")


def _complete(
    cells: pd.DataFrame,
    first_days: pd.DataFrame,
    length: int,
    hour: int,
    operation: pd.DataFrame,
) -> pd.DataFrame:
    """Every station × every occasion of its session (NaN effort where none),
    with the occasion's start and end."""
    tz = operation["day_start"].dt.tz
    last = cells.groupby("Session")["calendar_occasion"].max()
    grid = first_days.merge(last.rename("n").reset_index(), on="Session")
    grid = grid.loc[grid.index.repeat(grid["n"])].copy()
    grid["calendar_occasion"] = grid.groupby(["Session", "Station"]).cumcount() + 1
    step = pd.to_timedelta((grid["calendar_occasion"] - 1) * length, unit="D")
    start_days = grid["first_day"] + step
    bounds = day_bounds(start_days, tz, hour)
    ends = day_bounds(start_days + pd.Timedelta(days=length), tz, hour)
    grid["start"] = bounds["day_start"].set_axis(grid.index)
    grid["end"] = ends["day_start"].set_axis(grid.index)
    grid = grid.drop(columns=["n", "first_day"]).merge(
        cells, on=["Session", "Station", "calendar_occasion"], how="left"
    )
    grid["cameras_set_up"] = grid["cameras_set_up"].fillna(0).astype("int32")
    return grid


def _number(cells: pd.DataFrame) -> pd.DataFrame:
    """Number the occasions with effort 1…K per session; report the others."""
    occ = cells.groupby(["Session", "calendar_occasion"], as_index=False).agg(
        start=("start", "min"),
        end=("end", "max"),
        effort=("effort", lambda e: e.sum(min_count=1)),
        stations_operating=("effort", lambda e: int((e > 0).sum())),
    )
    occ["days"] = (occ["end"] - occ["start"]).dt.total_seconds() / 86400
    occ["in_history"] = occ["effort"].fillna(0) > 0
    occ["Occasion"] = (
        occ["in_history"].astype(int).groupby(occ["Session"]).cumsum().astype("Int64")
    )
    occ.loc[~occ["in_history"], "Occasion"] = pd.NA
    for row in occ[~occ["in_history"]].itertuples():
        log.warning(
            "session %s, calendar occasion %d (%s – %s): no station worked; left "
            "out of the histories and exports (capture/occasions.parquet)",
            row.Session,
            row.calendar_occasion,
            row.start,
            row.end,
        )
    if not occ["in_history"].any():
        log.warning("no occasion with effort at all: the histories are empty")
    occ["stations_operating"] = occ["stations_operating"].astype("int32")
    return occ[
        [
            "Session",
            "calendar_occasion",
            "Occasion",
            "start",
            "end",
            "days",
            "effort",
            "stations_operating",
            "in_history",
        ]
    ].reset_index(drop=True)


def effort_matrix(effort: pd.DataFrame, session: str) -> pd.DataFrame:
    """Station × occasion effort of one session as a wide frame (NaN: not set up)."""
    one = effort[effort["Session"] == session]
    wide = one.pivot(index="Station", columns="Occasion", values="effort")
    return wide.reindex(columns=sorted(wide.columns)).astype(np.float64)
