"""Camera operation per station and day, as camtrapR's ``cameraOperation`` makes it.

Effort is measured on time intervals, not counted in whole days: a camera set up
at 14:30 worked 0.40 of its setup day, a problem period from 08:00 removes the
rest of that day. A day's value is NA when no camera of the station was set up
on it, 0 when cameras were set up but none worked, else the working fraction:
summed over cameras when they are independent (camera-days), and the fraction of
the day during which *at least one* camera worked when they are not (a pair
facing each other is one detector; camtrapR averages the cameras' fractions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from trapline.capture.settings import CaptureSettings

Interval = tuple[pd.Timestamp, pd.Timestamp]

OPERATION_COLUMNS = [
    "Session",
    "Station",
    "Date",
    "day_start",
    "day_end",
    "effort",
    "cameras_set_up",
]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of half-open intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def working_intervals(window: Interval, problems: Iterable[Interval]) -> list[Interval]:
    """The deployment window minus its problem periods (clipped to the window)."""
    pieces = [window]
    for p_start, p_end in merge(problems):
        nxt = []
        for start, end in pieces:
            if p_end <= start or p_start >= end:
                nxt.append((start, end))
                continue
            if p_start > start:
                nxt.append((start, p_start))
            if p_end < end:
                nxt.append((p_end, end))
        pieces = nxt
    return pieces


def effort_day(times: pd.Series | pd.DatetimeIndex, start_hour: int) -> pd.Series:
    """The local day each time counts towards (days begin at ``start_hour``)."""
    local = pd.Series(times).dt.tz_localize(None) - pd.Timedelta(hours=start_hour)
    return local.dt.normalize()


def day_bounds(
    days: Iterable[dt.date | pd.Timestamp], tz, start_hour: int
) -> pd.DataFrame:
    """``day_start``/``day_end`` (tz-aware) of local days beginning at ``start_hour``.

    Built from wall-clock times so that a daylight-saving day is 23 or 25 hours.
    """
    naive = pd.DatetimeIndex([pd.Timestamp(d) for d in days]).normalize()
    offset = pd.Timedelta(hours=start_hour)

    def local(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        return index.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")

    return pd.DataFrame(
        {
            "Date": naive,
            "day_start": local(naive + offset),
            "day_end": local(naive + pd.Timedelta(days=1) + offset),
        }
    )


def _overlap_ns(bounds: pd.DataFrame, intervals: list[Interval]) -> np.ndarray:
    """Nanoseconds of each day covered by ``intervals`` (days × 1)."""
    if not intervals:
        return np.zeros(len(bounds))
    d0 = bounds["day_start"].to_numpy("datetime64[ns]").astype(np.int64)[:, None]
    d1 = bounds["day_end"].to_numpy("datetime64[ns]").astype(np.int64)[:, None]
    starts = np.array([pd.Timestamp(s).value for s, _ in intervals])[None, :]
    ends = np.array([pd.Timestamp(e).value for _, e in intervals])[None, :]
    return np.clip(np.minimum(d1, ends) - np.maximum(d0, starts), 0, None).sum(axis=1)


def camera_operation(
    deployments: pd.DataFrame, settings: CaptureSettings | None = None
) -> pd.DataFrame:
    """Daily operation of every station (camtrapR ``cameraOperation``, by station).

    Args:
        deployments: :func:`trapline.stations.read_stations` output.
        settings: ``occasion_start_hour`` and ``cameras_independent`` are used.

    Returns:
        One row per session × station × day from the station's first setup day to
        its last retrieval day: ``Session, Station, Date`` (local day, naive),
        ``day_start, day_end``, ``effort`` (NaN: not set up; 0: not working;
        else days, or camera-days when cameras are independent; rounded to 4
        decimals like camtrapR) and ``cameras_set_up``.
    """
    settings = settings or CaptureSettings()
    if deployments.empty:
        return pd.DataFrame(columns=OPERATION_COLUMNS)
    tz = deployments["window_start"].iloc[0].tz
    hour = settings.occasion_start_hour
    frames = []
    for (session, station), deps in deployments.groupby(
        ["session", "station"], sort=True
    ):
        first = effort_day(deps["window_start"], hour).min()
        last = effort_day(deps["window_end"] - pd.Timedelta(1, "ns"), hour).max()
        bounds = day_bounds(pd.date_range(first, last, freq="D"), tz, hour)
        length = (bounds["day_end"] - bounds["day_start"]).dt.total_seconds() * 1e9
        windows, working = [], []
        for dep in deps.itertuples():
            window = (dep.window_start, dep.window_end)
            windows.append(_overlap_ns(bounds, [window]) > 0)
            working.append(working_intervals(window, dep.problems))
        set_up = np.vstack(windows).sum(axis=0)
        if settings.cameras_independent:
            covered = sum(_overlap_ns(bounds, w) for w in working)
        else:
            covered = _overlap_ns(bounds, merge(i for w in working for i in w))
        effort = np.round(covered / length.to_numpy(), 4)
        frames.append(
            bounds.assign(
                Session=session,
                Station=station,
                effort=np.where(set_up > 0, effort, np.nan),
                cameras_set_up=set_up.astype("int32"),
            )
        )
    return pd.concat(frames, ignore_index=True)[OPERATION_COLUMNS]


def operating_reason(
    deployments: pd.DataFrame, deployment_ids: pd.Series, times: pd.Series
) -> pd.Series:
    """Why each record's own camera could not have taken it (None when it could).

    ``not_set_up``: outside the deployment window; ``camera_not_operating``:
    inside one of its problem periods. A picture taken while the stations table
    says the camera was off contradicts the table: the record is kept out of the
    history (its effort is not counted either) and reported.
    """
    deps = deployments.set_index("deployment_id")
    reasons = pd.Series([None] * len(times), index=times.index, dtype=object)
    for dep_id, idx in times.groupby(deployment_ids).groups.items():
        dep = deps.loc[dep_id]
        t = times.loc[idx]
        outside = (t < dep["window_start"]) | (t >= dep["window_end"])
        in_problem = pd.Series(False, index=idx)
        for start, end in dep["problems"]:
            in_problem |= (t >= start) & (t < end)
        reasons.loc[idx[in_problem.to_numpy()]] = "camera_not_operating"
        reasons.loc[idx[outside.to_numpy()]] = "not_set_up"
    return reasons
