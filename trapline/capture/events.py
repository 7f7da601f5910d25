"""Independent capture events: camtrapR's ``minDeltaTime`` on trapline's records.

A record is one image showing one animal (an individual, or a species for the
occupancy tables). Records of the same animal at the same station (and camera,
when cameras are independent) taken at the same second are one record
(camtrapR's ``removeDuplicateRecords``: the paired cameras of a station fire
together). A record is independent when it is the first of its animal there, or
at least ``min_delta_minutes`` after the last independent record (or after the
last record, with ``delta_time_compared_to: lastRecord``); the records after it
up to the next independent one are its event (``n_images``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trapline.capture.rounding import r_round
from trapline.capture.settings import CaptureSettings

DELTA_COLUMNS = ["delta.time.secs", "delta.time.mins", "delta.time.hours"]


def independent_events(
    records: pd.DataFrame,
    animal: str,
    settings: CaptureSettings | None = None,
) -> pd.DataFrame:
    """Reduce records to independent events, camtrapR style.

    Args:
        records: one row per record with ``Station``, ``Camera``, the ``animal``
            column and ``DateTimeOriginal`` (tz-aware); other columns are kept
            from each event's first record.
        animal: ``"Individual"`` or ``"Species"``.
        settings: ``min_delta_minutes``, ``delta_time_compared_to``,
            ``cameras_independent``.

    Returns:
        One row per event, sorted by station, animal and time: the first
        record's columns plus ``delta.time.secs/mins/hours/days`` (time since
        the previous independent record, or previous record, of the same animal
        there; 0 for the first; rounded like camtrapR), ``n_images``,
        ``DateTimeLast`` (the event's last record), ``Cameras`` (the cameras
        that recorded it, ``|``-separated) and ``Flanks`` where the records
        have a ``Flank``.
    """
    settings = settings or CaptureSettings()
    group = ["Station", animal] + (["Camera"] if settings.cameras_independent else [])
    if records.empty:
        extra = {"Cameras": pd.Series(dtype=object)}
        if "Flank" in records:
            extra["Flanks"] = pd.Series(dtype=object)
        return records.assign(
            **{c: pd.Series(dtype=float) for c in DELTA_COLUMNS},
            **{"delta.time.days": pd.Series(dtype=float)},
            n_images=pd.Series(dtype="int32"),
            DateTimeLast=records["DateTimeOriginal"],
            **extra,
        )
    recs = records.sort_values(group + ["DateTimeOriginal"], kind="stable")
    recs = recs.reset_index(drop=True)
    same = recs.duplicated(group + ["DateTimeOriginal"], keep="first")
    cameras = recs.groupby(group + ["DateTimeOriginal"])["Camera"].transform(
        lambda c: "|".join(sorted({str(x) for x in c.dropna()}))
    )
    flanks = (
        recs.groupby(group + ["DateTimeOriginal"])["Flank"].transform(_join)
        if "Flank" in recs
        else None
    )
    keep = ~same.to_numpy()
    recs, cameras = recs[keep].reset_index(drop=True), cameras[keep].to_numpy()
    if flanks is not None:
        flanks = flanks[keep].to_numpy()
    epoch = pd.Timestamp(0, tz="UTC")
    seconds = (recs["DateTimeOriginal"] - epoch).dt.total_seconds().to_numpy()
    groups = recs.groupby(group, sort=False).ngroup().to_numpy()
    independent, delta, event = _assess(
        groups,
        seconds,
        settings.min_delta_minutes * 60,
        settings.delta_time_compared_to == "lastRecord",
    )
    events = recs[independent].copy()
    # camtrapR chains the units (mins from secs, hours from mins, days from
    # hours), each with R's round, which differs from numpy's (rounding.py)
    events["delta.time.secs"] = r_round(delta[independent], 0)
    events["delta.time.mins"] = r_round(events["delta.time.secs"] / 60, 1)
    events["delta.time.hours"] = r_round(events["delta.time.mins"] / 60, 1)
    events["delta.time.days"] = r_round(events["delta.time.hours"] / 24, 1)
    per_event = pd.Series(event)
    events["n_images"] = (
        per_event.value_counts()
        .reindex(np.flatnonzero(independent))
        .to_numpy()
        .astype("int32")
    )
    last = pd.Series(recs["DateTimeOriginal"]).groupby(per_event).max()
    events["DateTimeLast"] = last.reindex(np.flatnonzero(independent)).to_numpy()
    events["DateTimeLast"] = events["DateTimeLast"].dt.tz_convert(
        recs["DateTimeOriginal"].dt.tz
    )
    events["Cameras"] = (
        (pd.Series(cameras).groupby(per_event).agg(_join_pipes))
        .reindex(np.flatnonzero(independent))
        .to_numpy()
    )
    if flanks is not None:
        events["Flanks"] = (
            (pd.Series(flanks).groupby(per_event).agg(_join_pipes))
            .reindex(np.flatnonzero(independent))
            .to_numpy()
        )
    return events.reset_index(drop=True)


def _assess(
    groups: np.ndarray, seconds: np.ndarray, min_delta_s: float, to_last_record: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sorted record: independent?, seconds since the reference record, and
    the index of the independent record whose event it belongs to."""
    n = len(seconds)
    independent = np.zeros(n, dtype=bool)
    delta = np.zeros(n)
    event = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if i == 0 or groups[i] != groups[i - 1]:
            independent[i], last_indep = True, i
        else:
            reference = seconds[i - 1] if to_last_record else seconds[last_indep]
            delta[i] = seconds[i] - reference
            if delta[i] >= min_delta_s:
                independent[i], last_indep = True, i
        event[i] = last_indep
    return independent, delta, event


def _join(values: pd.Series) -> str:
    return "|".join(sorted({str(v) for v in values.dropna()}))


def _join_pipes(values: pd.Series) -> str:
    parts = {p for v in values for p in str(v).split("|") if p}
    return "|".join(sorted(parts))


def flank_of_event(flanks: pd.Series) -> pd.Series:
    """``left``, ``right``, ``both`` or ``unknown`` from an event's ``Flanks``."""
    sides = flanks.fillna("").str.split("|")
    has_left = sides.map(lambda s: "left" in s).astype(bool).to_numpy()
    has_right = sides.map(lambda s: "right" in s).astype(bool).to_numpy()
    return pd.Series(
        np.select(
            [has_left & has_right, has_left, has_right],
            ["both", "left", "right"],
            default="unknown",
        ),
        index=flanks.index,
    )
