"""How captures become occasions and histories (config section ``capture``).

The names follow camtrapR's arguments (``occasionLength``, ``day1``,
``occasionStartTime``, ``minDeltaTime``, ``deltaTimeComparedTo``,
``camerasIndependent``) so that a person who knows camtrapR finds the same knobs;
the README lists where trapline's meaning differs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DAY1_KINDS = ("survey", "station")
COMPARED_TO = ("lastIndependentRecord", "lastRecord")
DETECTORS = ("proximity", "count")
PROXIMITY_USAGE = ("days", "binary")
FLANKS = ("both", "left", "right")


@dataclass(frozen=True)
class CaptureSettings:
    """Occasions, independence and export settings, checked on construction.

    Args:
        occasion_length_days: days per occasion (camtrapR ``occasionLength``).
        day1: ``"survey"`` (occasions start on the first setup day of the
            session), ``"station"`` (each station's occasions start on its own
            setup day) or a date ``"YYYY-MM-DD"`` (camtrapR ``day1``).
        occasion_start_hour: hour of day at which days and occasions begin
            (camtrapR ``occasionStartTime``), e.g. 12 so one night is one day.
        min_delta_minutes: records of one individual at one station closer than
            this are one capture event (camtrapR ``minDeltaTime``).
        delta_time_compared_to: measure the gap from the last independent record
            or from the last record (camtrapR ``deltaTimeComparedTo``).
        cameras_independent: cameras of one station count their effort and their
            events separately (camtrapR ``camerasIndependent``).
        detector_type: secr detector type of the exports: ``proximity`` (at
            most one detection per individual, station and occasion) or
            ``count`` (every capture event counted).
        proximity_usage: usage in the secr trap file of proximity detectors:
            ``days`` (effort in days, camtrapR's convention; secr models
            detection as proportional to it) or ``binary`` (0/1: worked at all
            on the occasion). Count detectors always get days.
        flank: ``both`` uses every capture; ``left`` or ``right`` uses only
            captures showing that flank, for seasons in which the two flanks of
            new animals are not linked (the rest are reported as excluded).
    """

    occasion_length_days: int = 1
    day1: str = "survey"
    occasion_start_hour: int = 0
    min_delta_minutes: float = 60.0
    delta_time_compared_to: str = "lastIndependentRecord"
    cameras_independent: bool = False
    detector_type: str = "proximity"
    proximity_usage: str = "days"
    flank: str = "both"

    def __post_init__(self) -> None:
        if self.occasion_length_days < 1:
            raise ValueError("occasion_length_days must be at least 1")
        if not 0 <= self.occasion_start_hour <= 23:
            raise ValueError("occasion_start_hour must be between 0 and 23")
        if self.min_delta_minutes < 0:
            raise ValueError("min_delta_minutes must not be negative")
        if self.day1 not in DAY1_KINDS:
            try:
                dt.date.fromisoformat(self.day1)
            except ValueError:
                raise ValueError(
                    f"day1 = {self.day1!r}: write 'survey', 'station' or a date "
                    "such as '2026-03-01'"
                ) from None
        for name, value, allowed in (
            ("delta_time_compared_to", self.delta_time_compared_to, COMPARED_TO),
            ("detector_type", self.detector_type, DETECTORS),
            ("proximity_usage", self.proximity_usage, PROXIMITY_USAGE),
            ("flank", self.flank, FLANKS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} = {value!r}: one of {list(allowed)}")

    @property
    def fixed_day1(self) -> dt.date | None:
        """The configured first day when ``day1`` is a date, else None."""
        if self.day1 in DAY1_KINDS:
            return None
        return dt.date.fromisoformat(self.day1)
