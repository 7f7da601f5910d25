"""Image times from EXIF: parsed in the season's time zone, never from file mtime.

Camera traps write local wall-clock time with no zone (``DateTimeOriginal``), a few
add ``SubSecTimeOriginal`` and ``OffsetTimeOriginal``. File modification times
change with every copy, so an image without an EXIF time is quarantined rather
than silently given its mtime. The source of every time is recorded.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from trapline.inventory.exif import tag_column
from trapline.quarantine import Reason

EXIF_TIME = (
    r"^\s*(?P<date>\d{4}:\d{2}:\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<frac>\.\d+)?(?P<zone>Z|[+-]\d{2}:?\d{2})?\s*$"
)

CANDIDATES = (
    ("DateTimeOriginal", "SubSecTimeOriginal", "OffsetTimeOriginal"),
    ("CreateDate", "SubSecTimeDigitized", "OffsetTimeDigitized"),
)
"""Tag triples in order of trust: (time, sub-seconds, UTC offset)."""


def parse_exif_times(tags: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Parse the capture time of each image.

    Args:
        tags: one row per image with EXIF tag columns (any may be missing).
        timezone: IANA zone the camera clocks were set to.

    Returns:
        Same index, columns ``datetime_exif`` (tz-aware, NaT on failure),
        ``timestamp_source``, ``reason`` and ``detail`` (None when parsed).
    """
    out = pd.DataFrame(index=tags.index)
    aware = f"datetime64[ms, {timezone}]"
    out["datetime_exif"] = pd.Series(pd.NaT, index=tags.index, dtype=aware)
    out["timestamp_source"] = pd.Series(None, index=tags.index, dtype=object)
    out["reason"] = pd.Series(None, index=tags.index, dtype=object)
    out["detail"] = pd.Series(None, index=tags.index, dtype=object)
    todo = pd.Series(True, index=tags.index)
    for time_tag, subsec_tag, zone_tag in CANDIDATES:
        raw = tag_column(tags, time_tag)
        present = todo & raw.notna() & (raw.str.strip() != "")
        if not present.any():
            continue
        parts = raw[present].str.extract(EXIF_TIME)
        subsec = tag_column(tags, subsec_tag)[present]
        zone = tag_column(tags, zone_tag)[present]
        zone = zone.where(parts["zone"].isna(), parts["zone"])
        frac = parts["frac"].fillna("." + subsec.fillna("0").str.strip())
        text = parts["date"].str.replace(":", "-") + " " + parts["time"] + frac
        naive = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S.%f", errors="coerce")
        stamp = _localize(naive, zone, timezone)
        source = time_tag + subsec.notna().map({True: f"+{subsec_tag}", False: ""})
        source = source + zone.notna().map({True: f"+{zone_tag}", False: ""})
        ok = stamp.notna()
        idx = ok[ok].index
        out.loc[idx, "datetime_exif"] = stamp[idx]
        out.loc[idx, "timestamp_source"] = source[idx]
        bad = ok[~ok].index
        ambiguous = naive.notna() & zone.isna()
        out.loc[bad, "reason"] = [
            Reason.AMBIGUOUS_TIMESTAMP if ambiguous[i] else Reason.BAD_TIMESTAMP
            for i in bad
        ]
        out.loc[bad, "detail"] = [f"{time_tag} = {raw[i]!r}" for i in bad]
        todo &= ~present
    missing = todo[todo].index
    out.loc[missing, "reason"] = Reason.NO_TIMESTAMP
    out.loc[missing, "detail"] = "no " + " or ".join(c[0] for c in CANDIDATES)
    return out


def _localize(naive: pd.Series, zone: pd.Series, timezone: str) -> pd.Series:
    """Wall-clock times to aware ones: by the EXIF offset where given, else the zone."""
    result = pd.Series(pd.NaT, index=naive.index, dtype=f"datetime64[ms, {timezone}]")
    local = zone.isna()
    if local.any():
        result[local] = (
            naive[local]
            .dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
            .dt.as_unit("ms")
        )
    for offset in zone[~local].unique():
        rows = zone == offset
        text = "+00:00" if offset == "Z" else offset
        if ":" not in text:
            text = text[:3] + ":" + text[3:]
        result[rows] = (
            naive[rows]
            .dt.tz_localize(_fixed_zone(text))
            .dt.tz_convert(timezone)
            .dt.as_unit("ms")
        )
    return result


def _fixed_zone(offset: str) -> dt.timezone:
    """A fixed-offset tzinfo from ``+HH:MM``."""
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))
