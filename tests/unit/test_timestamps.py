import pandas as pd

from trapline.inventory.timestamps import parse_exif_times
from trapline.quarantine import Reason


def parse(timezone="Etc/GMT-1", **columns):
    return parse_exif_times(pd.DataFrame(columns), timezone)


def test_local_time_in_configured_zone():
    out = parse(DateTimeOriginal=["2026:03:01 12:00:00"])
    assert out["datetime_exif"][0] == pd.Timestamp("2026-03-01 11:00", tz="UTC")
    assert out["timestamp_source"][0] == "DateTimeOriginal"


def test_subseconds_and_offset_are_used_and_recorded():
    out = parse(
        DateTimeOriginal=["2026:03:01 12:00:00"],
        SubSecTimeOriginal=["25"],
        OffsetTimeOriginal=["+03:00"],
    )
    assert out["datetime_exif"][0] == pd.Timestamp("2026-03-01 09:00:00.25", tz="UTC")
    assert out["timestamp_source"][0] == (
        "DateTimeOriginal+SubSecTimeOriginal+OffsetTimeOriginal"
    )


def test_create_date_is_second_choice_and_says_so():
    out = parse(DateTimeOriginal=[None], CreateDate=["2026:03:02 01:00:00"])
    assert out["timestamp_source"][0] == "CreateDate"
    assert out["reason"].isna().all()


def test_missing_reset_and_dst_times_are_quarantine_reasons():
    out = parse(
        "Europe/Zurich",
        DateTimeOriginal=[None, "0000:00:00 00:00:00", "2026:03:29 02:30:00"],
    )
    assert out["reason"].tolist() == [
        Reason.NO_TIMESTAMP,
        Reason.BAD_TIMESTAMP,
        Reason.AMBIGUOUS_TIMESTAMP,
    ]
    assert out["datetime_exif"].isna().all()


def test_fixed_offset_zone_has_no_dst_gap():
    out = parse("Etc/GMT-1", DateTimeOriginal=["2026:03:29 02:30:00"])
    assert out["reason"].isna().all()
