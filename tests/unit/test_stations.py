import unicodedata

import pandas as pd
import pytest

from trapline.inventory.stations import StationColumns, StationsError, read_stations

HEADER = "Station,Camera,utm_x,utm_y,Setup_date,Retrieval_date,Problem1_from,Problem1_to,Clock_offset\n"  # noqa: E501


def table(tmp_path, body, header=HEADER):
    path = tmp_path / "stations.csv"
    path.write_text(header + body)
    return path


def test_camtrapr_table_reads_with_windows_offsets_and_problems(tmp_path):
    path = table(
        tmp_path,
        "ST01,A,600000,5150000,2026-03-01,2026-03-30,2026-03-10,2026-03-12,-02:00:00\n"
        "ST01,B,600000,5150000,2026-03-01 14:30,2026-03-30 09:00,,,\n",
    )
    deps = read_stations(path, "Etc/GMT-1").set_index("deployment_id")
    a, b = deps.loc["ST01__A"], deps.loc["ST01__B"]
    assert a["window_start"] == pd.Timestamp("2026-03-01 00:00", tz="Etc/GMT-1")
    assert a["window_end"] == pd.Timestamp("2026-03-31 00:00", tz="Etc/GMT-1")
    assert b["window_start"] == pd.Timestamp("2026-03-01 14:30", tz="Etc/GMT-1")
    assert b["window_end"] == pd.Timestamp("2026-03-30 09:00", tz="Etc/GMT-1")
    assert a["clock_offset"] == pd.Timedelta(hours=-2)
    assert b["clock_offset"] == pd.Timedelta(0)
    assert len(a["problems"]) == 1 and b["problems"] == []
    assert a["x"] == 600000.0


@pytest.mark.parametrize(
    "offset,expected",
    [("5400", 5400.0), ("+1h30min", 5400.0), ("-01:30:00", -5400.0), ("", 0.0)],
)
def test_clock_offset_forms(tmp_path, offset, expected):
    path = table(tmp_path, f"ST01,A,1,2,2026-03-01,2026-03-30,,,{offset}\n")
    got = read_stations(path, "UTC")["clock_offset"].iloc[0]
    assert got.total_seconds() == expected


def test_custom_columns_and_date_format(tmp_path):
    path = tmp_path / "ct.csv"
    path.write_text("site,x,y,start,end\nS1,1,2,01.03.2026,30.03.2026\n")
    cols = StationColumns(station="site", setup="start", retrieval="end")
    deps = read_stations(path, "UTC", cols, date_format="%d.%m.%Y")
    assert deps["deployment_id"].tolist() == ["S1"]
    assert deps["camera"].isna().all()


@pytest.mark.parametrize(
    "body,message",
    [
        (
            "ST01,A,1,2,2026-13-01,2026-03-30,,,\n",
            r"row 2 .*'Setup_date' = '2026-13-01'",
        ),
        ("ST01,A,1,2,2026-03-10,2026-03-01,,,\n", "is not after"),
        (
            "ST01,A,east,2,2026-03-01,2026-03-30,,,\n",
            "'utm_x' = 'east' is not a number",
        ),
        ("ST01,A,1,2,2026-03-01,2026-03-30,,,soon\n", "'Clock_offset' = 'soon'"),
        ("ST01,A,1,2,2026-03-01,2026-03-30,2026-03-02,,\n", "Problem1_from and"),
        (
            "ST01,A,1,2,2026-03-01,2026-03-30,,,\nST01,A,1,2,2026-03-01,2026-03-30,,,\n",
            "listed twice",
        ),
    ],
)
def test_bad_rows_name_file_row_column(tmp_path, body, message):
    path = table(tmp_path, body)
    with pytest.raises(StationsError, match=message) as err:
        read_stations(path, "UTC")
    assert str(path) in str(err.value)


def test_missing_columns_are_named(tmp_path):
    path = table(tmp_path, "ST01,1,2\n", header="Station,utm_x,utm_y\n")
    with pytest.raises(StationsError, match="Setup_date.*stations_columns"):
        read_stations(path, "UTC")


def test_missing_file_names_the_config_key(tmp_path):
    with pytest.raises(StationsError, match="config key 'stations'"):
        read_stations(tmp_path / "nope.csv", "UTC")


@pytest.mark.parametrize(
    "text,message",
    [("", "is empty; it needs a header row"), (HEADER, "has a header but no rows")],
)
def test_empty_or_header_only_table_names_the_file_and_the_fix(tmp_path, text, message):
    path = tmp_path / "stations.csv"
    path.write_text(text)
    with pytest.raises(StationsError, match=message) as err:
        read_stations(path, "UTC")
    assert str(path) in str(err.value)


def test_degrees_in_the_metre_columns_are_refused(tmp_path):
    """Read as metres, degrees put every camera within metres of lat/lon 0."""
    path = table(
        tmp_path,
        "ST01,A,8.5417,47.3769,2026-03-01,2026-03-30,,,\n"
        "ST02,A,8.5502,47.3811,2026-03-01,2026-03-30,,,\n",
    )
    with pytest.raises(StationsError, match="look like degrees.*projected metres"):
        read_stations(path, "UTC")


def test_whole_small_numbers_are_a_local_metre_grid(tmp_path):
    path = table(
        tmp_path,
        "ST01,A,0,0,2026-03-01,2026-03-30,,,\nST02,A,50,0,2026-03-01,2026-03-30,,,\n",
    )
    assert read_stations(path, "UTC")["x"].tolist() == [0.0, 50.0]


def test_station_and_camera_names_are_nfc(tmp_path):
    """A decomposed name in the table matches a composed folder name and back."""
    nfd = unicodedata.normalize("NFD", "Zürich")
    path = table(tmp_path, f"{nfd},Süd,1,2,2026-03-01,2026-03-30,,,\n")
    deps = read_stations(path, "UTC")
    assert deps["station"].tolist() == [unicodedata.normalize("NFC", "Zürich")]
    assert deps["deployment_id"].tolist() == ["Zürich__Süd"]
