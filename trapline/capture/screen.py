"""Which records count: a record is kept only where the stations table says its
camera was working, on the configured flank, inside an occasion with effort.

camtrapR's ``spatialDetectionHistory`` drops records in cells without effort
with no more than a console warning; trapline never drops a record silently:
each one set aside keeps a reason (``capture/excluded.parquet``).
"""

from __future__ import annotations

import pandas as pd

from trapline.capture.events import flank_of_event, independent_events
from trapline.capture.occasions import OccasionGrid
from trapline.capture.operation import operating_reason
from trapline.capture.settings import CaptureSettings

EXCLUSION_REASONS = {
    "not_set_up": "taken outside its camera's setup–retrieval window",
    "camera_not_operating": "taken inside a problem period of its camera",
    "other_flank": "shows only the flank that `capture.flank` leaves out",
    "outside_occasions": "before day 1 or after the last occasion",
    "no_effort": "its station had no effort on that occasion",
}
"""Why a record is kept out of the histories (``excluded.parquet`` ``reason``)."""


def screen_events(
    records: pd.DataFrame,
    deployments: pd.DataFrame,
    grid: OccasionGrid,
    animal: str,
    settings: CaptureSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kept events with their ``Occasion``, and excluded events with a reason.

    Records of the flank ``settings.flank`` leaves out and records their camera
    could not have taken are set aside *before* events are formed, so that they
    cannot swallow a later valid record as part of their event; events outside
    the occasions or in a cell without effort are set aside after.
    """
    records = records.copy()
    if "reason" not in records:
        records = records.assign(
            reason=pd.Series(None, index=records.index, dtype=object)
        )
    if settings.flank != "both" and "Flank" in records:
        other = records["reason"].isna() & (records["Flank"] != settings.flank)
        records.loc[other, "reason"] = "other_flank"
    if len(records):
        operating = operating_reason(
            deployments, records["deployment_id"], records["DateTimeOriginal"]
        )
        records["reason"] = records["reason"].where(
            records["reason"].notna(), operating
        )
    bad = records["reason"].notna()
    kept = independent_events(records[~bad], animal, settings)
    early = independent_events(records[bad], animal, settings)
    where = grid.assign(kept["Session"], kept["Station"], kept["DateTimeOriginal"])
    kept = pd.concat([kept, where], axis=1)
    cell = kept.merge(
        grid.effort[["Session", "Station", "Occasion", "effort"]],
        on=["Session", "Station", "Occasion"],
        how="left",
    )["effort"]
    kept["reason"] = None
    kept.loc[kept["calendar_occasion"].isna(), "reason"] = "outside_occasions"
    no_effort = kept["reason"].isna() & ~(cell.fillna(0).to_numpy() > 0)
    kept.loc[no_effort, "reason"] = "no_effort"
    late = kept[kept["reason"].notna()]
    good = kept[kept["reason"].isna()].drop(columns="reason")
    good = good.astype({"Occasion": "int64"})
    parts = [early, late]
    excluded = pd.concat([p for p in parts if len(p)] or parts, ignore_index=True)
    if "Flanks" in excluded:
        excluded["Flank"] = flank_of_event(excluded["Flanks"])
    return good.reset_index(drop=True), excluded
