"""Capture histories: camtrapR's edge cases on small inline seasons."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from capture_checks import (
    parquet_totals,
    r_packages,
    r_totals,
    rscript,
    validate_camtrap_dp,
)

from trapline.capture import (
    CaptureInputs,
    CaptureOutputs,
    CaptureSettings,
    camera_operation,
    capture_stage,
    chao_mh,
    independent_events,
    occasion_grid,
    schnabel,
)
from trapline.export import PackageMetadata, write_camtrap_dp
from trapline.export.stage import ExportInputs, ExportOutputs, export_stage
from trapline.inventory.stations import read_stations, write_deployments
from trapline.tables import CROPS, DETECTIONS, IDENTITIES, IMAGES, Table

TZ = "Etc/GMT-1"
# A: set up at noon, retrieved at 18:00 (partial days); B: problem from 06:00 on
# 03-02 to the end of 03-03; C: two cameras, the second retrieved early; D: no
# captures at all. habitat becomes a station covariate.
STATIONS = """\
Station,Camera,utm_x,utm_y,Setup_date,Retrieval_date,Problem1_from,Problem1_to,habitat
A,1,600000,5150000,2026-03-01 12:00,2026-03-05 18:00,,,forest
B,1,601000,5150000,2026-03-01,2026-03-05,2026-03-02 06:00,2026-03-03,meadow
C,1,602000,5150000,2026-03-01,2026-03-05,,,forest
C,2,602000,5150000,2026-03-01,2026-03-03,,,forest
D,1,603000,5150000,2026-03-01,2026-03-05,,,meadow
"""
# Every camera of the season is off on 03-03: an occasion without any effort.
DEAD_DAY = """\
Station,utm_x,utm_y,Setup_date,Retrieval_date,Problem1_from,Problem1_to
A,600000,5150000,2026-03-01,2026-03-05,2026-03-03,2026-03-03
B,601000,5150000,2026-03-01,2026-03-05,2026-03-03,2026-03-03
"""


def stations(tmp_path, text=STATIONS):
    path = tmp_path / "stations.csv"
    path.write_text(text)
    return path


def deployments(tmp_path, text=STATIONS):
    return read_stations(stations(tmp_path, text), TZ)


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def day_effort(operation, station):
    rows = operation[operation["Station"] == station]
    return dict(zip(rows["Date"].dt.strftime("%m-%d"), rows["effort"], strict=True))


def test_partial_setup_and_retrieval_days_are_fractions(tmp_path):
    op = camera_operation(deployments(tmp_path))
    assert day_effort(op, "A") == {
        "03-01": 0.5,
        "03-02": 1.0,
        "03-03": 1.0,
        "03-04": 1.0,
        "03-05": 0.75,
    }


def test_problem_period_is_zero_not_na_and_a_date_ends_at_midnight(tmp_path):
    op = camera_operation(deployments(tmp_path))
    assert day_effort(op, "B") == {
        "03-01": 1.0,
        "03-02": 0.25,
        "03-03": 0.0,
        "03-04": 1.0,
        "03-05": 1.0,
    }


def test_two_cameras_one_detector_or_two(tmp_path):
    deps = deployments(tmp_path)
    paired = camera_operation(deps, CaptureSettings(cameras_independent=False))
    apart = camera_operation(deps, CaptureSettings(cameras_independent=True))
    assert set(day_effort(paired, "C").values()) == {1.0}
    assert list(day_effort(apart, "C").values()) == [2.0, 2.0, 2.0, 1.0, 1.0]
    c = paired[paired["Station"] == "C"]
    assert c["cameras_set_up"].tolist() == [2, 2, 2, 1, 1]


def test_days_outside_setup_are_na(tmp_path):
    text = STATIONS + "E,1,604000,5150000,2026-03-03,2026-03-05,,,meadow\n"
    grid = occasion_grid(camera_operation(deployments(tmp_path, text)))
    e = grid.effort[grid.effort["Station"] == "E"]
    assert e["effort"].isna().tolist() == [True, True, False, False, False]


def test_occasion_without_any_effort_is_left_out_and_numbered_around(tmp_path):
    grid = occasion_grid(camera_operation(deployments(tmp_path, DEAD_DAY)))
    occ = grid.occasions
    assert occ["calendar_occasion"].tolist() == [1, 2, 3, 4, 5]
    assert occ["Occasion"].tolist() == [1, 2, pd.NA, 3, 4]
    assert occ["in_history"].tolist() == [True, True, False, True, True]
    assert sorted(set(grid.effort["Occasion"])) == [1, 2, 3, 4]
    where = grid.assign(
        pd.Series(["1"]), pd.Series(["A"]), pd.Series([t("2026-03-04 10:00")])
    )
    assert where.loc[0, "calendar_occasion"] == 4 and where.loc[0, "Occasion"] == 3


def test_occasion_length_and_day1_forms(tmp_path):
    op = camera_operation(deployments(tmp_path))
    two = occasion_grid(op, CaptureSettings(occasion_length_days=2))
    assert two.occasions["days"].tolist() == [2.0, 2.0, 2.0]
    a = two.effort[two.effort["Station"] == "A"]["effort"].tolist()
    assert a == [1.5, 2.0, 0.75]  # the last occasion is partial
    early = occasion_grid(op, CaptureSettings(day1="2026-02-27"))
    assert early.occasions["Occasion"].tolist()[:3] == [pd.NA, pd.NA, 1]
    late = occasion_grid(op, CaptureSettings(day1="2026-03-03"))
    assert late.occasions["start"].iloc[0] == t("2026-03-03")
    text = STATIONS + "E,1,604000,5150000,2026-03-03,2026-03-05,,,meadow\n"
    own = occasion_grid(
        camera_operation(deployments(tmp_path, text)), CaptureSettings(day1="station")
    )
    e = own.effort[own.effort["Station"] == "E"]
    assert e["start"].iloc[0] == t("2026-03-03") and e["effort"].iloc[0] == 1.0


def test_occasion_start_hour_moves_the_day(tmp_path):
    op = camera_operation(
        deployments(tmp_path), CaptureSettings(occasion_start_hour=12)
    )
    a = op[op["Station"] == "A"]
    assert a["day_start"].iloc[0] == t("2026-03-01 12:00")
    assert a["effort"].iloc[0] == 1.0  # set up at noon: the whole first "night"


def records(*rows):
    """(station, camera, time, individual) rows as records."""
    return pd.DataFrame(
        {
            "Session": "1",
            "Station": [r[0] for r in rows],
            "Camera": [r[1] for r in rows],
            "DateTimeOriginal": pd.to_datetime([r[2] for r in rows]).tz_localize(TZ),
            "Individual": [r[3] for r in rows],
        }
    )


def test_min_delta_time_from_last_independent_or_last_record():
    recs = records(
        ("A", "1", "2026-03-01 10:00", "I1"),
        ("A", "1", "2026-03-01 10:30", "I1"),
        ("A", "1", "2026-03-01 11:10", "I1"),
        ("A", "1", "2026-03-01 11:40", "I1"),
    )
    indep = independent_events(recs, "Individual", CaptureSettings())
    assert indep["DateTimeOriginal"].dt.strftime("%H:%M").tolist() == ["10:00", "11:10"]
    assert indep["n_images"].tolist() == [2, 2]
    assert indep["delta.time.mins"].tolist() == [0.0, 70.0]
    assert indep["delta.time.hours"].tolist() == [0.0, 1.2]
    last = independent_events(
        recs, "Individual", CaptureSettings(delta_time_compared_to="lastRecord")
    )
    assert len(last) == 1 and last["n_images"].tolist() == [4]
    everything = independent_events(
        recs, "Individual", CaptureSettings(min_delta_minutes=0)
    )
    assert len(everything) == 4


def test_delta_time_rounds_like_r():
    """339 min is 5.65 h: R's round gives 5.7 (the double nearest 5.65 lies
    above it), numpy's rint of 56.5 gave 5.6; camtrapR writes 5.7."""
    recs = records(
        ("A", "1", "2026-03-01 10:00", "I1"),
        ("A", "1", "2026-03-01 15:39", "I1"),
        ("A", "1", "2026-03-03 10:15", "I1"),
    )
    events = independent_events(recs, "Individual", CaptureSettings())
    assert events["delta.time.mins"].tolist() == [0.0, 339.0, 2556.0]
    assert events["delta.time.hours"].tolist() == [0.0, 5.7, 42.6]
    assert events["delta.time.days"].tolist() == [0.0, 0.2, 1.8]


def test_r_round_equals_base_r_on_camtraprs_chain():
    """Seconds → mins → hours → days, each rounded to 1 decimal, as base R does."""
    from trapline.capture.rounding import r_round

    secs = np.arange(0, 200_000, 3.0)
    mins = r_round(secs / 60, 1)
    hours = r_round(mins / 60, 1)
    days = r_round(hours / 24, 1)
    assert np.round(np.round(secs / 60, 1) / 60, 1).tolist() != hours.tolist()
    script = (
        "s <- seq(0, 199999, by = 3); m <- round(s / 60, 1); h <- round(m / 60, 1); "
        "d <- round(h / 24, 1); writeLines(sprintf('%.17g %.17g %.17g', m, h, d))"
    )
    done = subprocess.run(
        [rscript(), "-e", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    from_r = np.loadtxt(done.stdout.splitlines())
    assert (from_r == np.c_[mins, hours, days]).all()


def test_paired_cameras_firing_together_are_one_record_unless_independent():
    recs = records(
        ("C", "1", "2026-03-02 22:00:00", "I2"),
        ("C", "2", "2026-03-02 22:00:00", "I2"),
        ("C", "1", "2026-03-02 22:00:01", "I2"),
    )
    paired = independent_events(recs, "Individual", CaptureSettings())
    assert len(paired) == 1 and paired["n_images"].tolist() == [2]
    assert paired["Cameras"].tolist() == ["1|2"]
    apart = independent_events(
        recs, "Individual", CaptureSettings(cameras_independent=True)
    )
    assert sorted(apart["Camera"]) == ["1", "2"]


def test_chao_mh_and_schnabel_by_hand():
    # 5 animals, 4 occasions: three caught once, two caught twice.
    binary = np.array(
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0]]
    )
    chao = chao_mh(binary)
    assert (chao["f1"], chao["f2"]) == (3, 2)
    assert chao["N"] == pytest.approx(5 + 0.75 * 3 * 2 / (2 * 3))
    assert chao["ci95"][0] >= 5
    # C_t = 2, 3, 1, 1; M_t = 0, 2, 4, 4; R_t = 0, 1, 1, 0
    assert schnabel(binary)["N"] == pytest.approx((0 + 6 + 4 + 4) / (2 + 1), abs=0.01)


def test_chao_without_recaptures_is_defined():
    binary = np.eye(3, dtype=int)
    assert chao_mh(binary)["N"] == pytest.approx(3 + (2 / 3) * 3 * 2 / 2)


# --- the whole stage on an inline season -------------------------------------


def frame(table: Table, **columns) -> pd.DataFrame:
    """A frame with the table's contracted columns, unset ones null."""
    n = len(next(iter(columns.values())))
    data = {name: columns.get(name, [None] * n) for name in table.names}
    data.update(columns)
    return pd.DataFrame(data)


# (station, camera, time, individual or species, flank)
SEASON = [
    ("A", "1", "2026-03-01 13:00:00", "I1", "left"),
    ("A", "1", "2026-03-01 13:30:00", "I1", "left"),  # same event
    ("B", "1", "2026-03-03 10:00:00", "I1", "left"),  # in B's problem period
    ("C", "1", "2026-03-02 22:00:00", "I2", "right"),
    ("C", "2", "2026-03-02 22:00:00", "I2", "left"),  # its pair, same second
    ("C", "1", "2026-03-04 01:00:00", "I2", "right"),
    ("A", "1", "2026-03-05 20:00:00", "I1", "left"),  # after retrieval at 18:00
    ("B", "1", "2026-03-04 09:00:00", "Vulpes vulpes", None),
    ("B", "1", "2026-03-04 23:00:00", None, None),  # an animal without a label
]


@pytest.fixture
def season(tmp_path):
    """Stage inputs for SEASON, written as the upstream stages write them."""
    n = len(SEASON)
    ids = [f"img{i:02d}" for i in range(n)]
    when = pd.to_datetime([r[2] for r in SEASON]).tz_localize(TZ)
    station = [r[0] for r in SEASON]
    camera = [r[1] for r in SEASON]
    images = frame(
        IMAGES,
        image_id=ids,
        path=[
            f"{s}/{c}/IMG_{i:04d}.JPG"
            for i, (s, c) in enumerate(zip(station, camera, strict=True))
        ],
        station=station,
        camera=camera,
        deployment_id=[f"{s}__{c}" for s, c in zip(station, camera, strict=True)],
        datetime=when,
        datetime_exif=when,
        file_mtime=when,
        make=["RECONYX"] * n,
        model=["HF2X"] * n,
        serial=["SN1"] * n,
        sequence_id=[
            f"{s}__{c}:{i}"
            for i, (s, c) in enumerate(zip(station, camera, strict=True))
        ],
        is_empty=[False] * n,
    )
    species = ["Lynx lynx" if str(r[3]).startswith("I") else r[3] for r in SEASON]
    boxes = dict(bbox_x=[0.1] * n, bbox_y=[0.2] * n, bbox_w=[0.3] * n, bbox_h=[0.4] * n)
    detections = frame(
        DETECTIONS,
        image_id=ids,
        det_index=[0] * n,
        category=["animal"] * n,
        conf=[0.9] * n,
        detector=["md.json"] * n,
        species=species,
        species_conf=[0.95 if s else None for s in species],
        **boxes,
    )
    crops = frame(
        CROPS,
        crop_id=[f"{i}-0" for i in ids],
        image_id=ids,
        det_index=[0] * n,
        species=species,
        **boxes,
    )
    lynx = [i for i, r in enumerate(SEASON) if str(r[3]).startswith("I")]
    identities = frame(
        IDENTITIES,
        crop_id=[f"{ids[i]}-0" for i in lynx],
        individual_id=[SEASON[i][3] for i in lynx],
        is_new=[False] * len(lynx),
        source=["catalogue"] * len(lynx),
        score=[0.9] * len(lynx),
        flank=[SEASON[i][4] for i in lynx],
    )
    paths = {}
    for name, table, data in (
        ("images", IMAGES, images),
        ("detections", DETECTIONS, detections),
        ("crops", CROPS, crops),
        ("identities", IDENTITIES, identities),
    ):
        paths[name] = tmp_path / f"{name}.parquet"
        table.write(data, paths[name])
    paths["stations"] = stations(tmp_path)
    paths["deployments"] = tmp_path / "deployments.parquet"
    write_deployments(read_stations(paths["stations"], TZ), paths["deployments"])
    return paths


def run_stage(tmp_path, season, settings=None, name="capture", identities=True):
    out = tmp_path / name
    names = [
        "captures",
        "capture_history",
        "effort",
        "traps",
        "occasions",
        "camera_operation",
        "excluded",
        "detection_history",
    ]
    outputs = CaptureOutputs(
        **{n: out / f"{n}.parquet" for n in names}, estimate=out / "estimate.json"
    )
    capture_stage(
        CaptureInputs(
            images=season["images"],
            detections=season["detections"],
            crops=season["crops"],
            deployments=season["deployments"],
            identities=season["identities"] if identities else None,
        ),
        settings or CaptureSettings(),
        outputs,
    )
    export_stage(
        ExportInputs(
            *(
                out / f"{n}.parquet"
                for n in [
                    "captures",
                    "capture_history",
                    "effort",
                    "traps",
                    "detection_history",
                ]
            )
        ),
        settings or CaptureSettings(),
        ExportOutputs(out / "secr", out / "mark.inp", out / "occupancy"),
    )
    return out


def test_stage_keeps_valid_captures_and_reports_the_rest(tmp_path, season, caplog):
    with caplog.at_level(logging.WARNING):
        out = run_stage(tmp_path, season)
    captures = pd.read_parquet(out / "captures.parquet")
    got = list(
        zip(
            captures["Individual"],
            captures["Station"],
            captures["Occasion"],
            strict=True,
        )
    )
    assert got == [("I1", "A", 1), ("I2", "C", 2), ("I2", "C", 4)]
    assert captures["n_images"].tolist() == [2, 1, 1]
    assert captures["Flank"].tolist() == ["left", "both", "right"]
    assert captures["Time"].tolist() == ["13:00:00", "22:00:00", "01:00:00"]
    excluded = pd.read_parquet(out / "excluded.parquet")
    ind = excluded[excluded["record_type"] == "individual"].set_index("Station")
    assert ind["reason"].to_dict() == {"A": "not_set_up", "B": "camera_not_operating"}
    assert "camera_not_operating" in caplog.text and "not_set_up" in caplog.text
    history = pd.read_parquet(out / "capture_history.parquet").set_index("Individual")
    assert history["ch"].to_dict() == {"I1": "10000", "I2": "01010"}
    assert history.loc["I2", "n_stations"] == 1


def test_station_without_captures_is_a_detector_with_effort(tmp_path, season):
    out = run_stage(tmp_path, season)
    traps = pd.read_parquet(out / "traps.parquet").set_index("Detector")
    assert list(traps.index) == ["A", "B", "C", "D"]
    assert traps.loc["C", "n_cameras"] == 2 and traps.loc["D", "habitat"] == "meadow"
    lines = (out / "secr/traps.txt").read_text().splitlines()
    assert "D 603000.00 5150000.00 1 1 1 1 1 / meadow" in lines
    assert "B 601000.00 5150000.00 1 0.25 0 1 1 / meadow" in lines
    occupancy = pd.read_csv(out / "occupancy/Vulpes_vulpes.csv").set_index("site")
    assert occupancy.loc["D", [f"y.{k}" for k in range(1, 6)]].tolist() == [0] * 5
    assert occupancy.loc["B", "y.4"] == 1 and pd.isna(occupancy.loc["B", "y.3"])
    assert (out / "occupancy/unknown.csv").is_file(), (
        "unlabelled boxes count as unknown"
    )


def test_count_detectors_get_usage_in_days_and_every_event(tmp_path, season):
    out = run_stage(tmp_path, season, CaptureSettings(detector_type="count"))
    lines = (out / "secr/traps.txt").read_text().splitlines()
    assert "A 600000.00 5150000.00 0.5 1 1 1 0.75 / forest" in lines
    assert 'detector = "count"' in (out / "secr/captures.txt").read_text()


def test_proximity_usage_is_effort_in_days_as_camtraprs(tmp_path, season):
    """camtrapR passes effort in days as usage; a 0/1 usage made a station that
    worked half a day count as much as one that worked the whole occasion."""
    out = run_stage(tmp_path, season)
    lines = (out / "secr/traps.txt").read_text().splitlines()
    assert "A 600000.00 5150000.00 0.5 1 1 1 0.75 / forest" in lines
    assert any(ln.startswith("# usage: effort in days") for ln in lines)
    header = (out / "secr/captures.txt").read_text()
    assert 'detector = "proximity"' in header and "binary.usage = FALSE" in header


def test_proximity_usage_binary_keeps_zero_one(tmp_path, season):
    out = run_stage(tmp_path, season, CaptureSettings(proximity_usage="binary"))
    lines = (out / "secr/traps.txt").read_text().splitlines()
    assert "A 600000.00 5150000.00 11111 / forest" in lines
    assert "B 601000.00 5150000.00 11011 / meadow" in lines
    assert any(ln.startswith("# usage: 0/1 per occasion") for ln in lines)
    assert "binary.usage = TRUE" in (out / "secr/captures.txt").read_text()
    from_r = r_totals(out)
    assert from_r["secr_usage_sum"] == parquet_totals(out)["secr_usage_sum"] == "19"


@pytest.mark.parametrize("usage", ["days", "binary"])
def test_secr_reads_the_usage_the_header_names(tmp_path, season, usage):
    """secr's own read.capthist, called as the capture file's header says,
    gets effort in days (or 0/1) per station and occasion."""
    env = r_packages("secr")
    out = run_stage(tmp_path, season, CaptureSettings(proximity_usage=usage))
    script = (
        "suppressMessages(library(secr)); setwd(commandArgs(TRUE)[1]); "
        'h <- readLines("captures.txt"); '
        'call <- sub("^# ", "", h[2:4]); '
        'ch <- eval(parse(text = paste(call, collapse = " "))); '
        "u <- usage(traps(ch)); "
        'cat(paste(rownames(u), apply(u, 1, paste, collapse = " ")), sep = "\\n")'
    )
    done = subprocess.run(
        [rscript(), "-e", script, str(out / "secr")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    expected = {"days": "0.5 1 1 1 0.75", "binary": "1 1 1 1 1"}[usage]
    assert rows["A"] == expected


def test_flank_filter_reports_the_other_flank(tmp_path, season):
    out = run_stage(tmp_path, season, CaptureSettings(flank="right"))
    captures = pd.read_parquet(out / "captures.parquet")
    assert set(captures["Flank"]) == {"right"}
    excluded = pd.read_parquet(out / "excluded.parquet")
    assert "other_flank" in set(excluded["reason"])


def test_exports_read_by_base_r_match_the_parquet(tmp_path, season):
    out = run_stage(tmp_path, season)
    from_r = r_totals(out)
    expected = parquet_totals(out)
    assert {k: from_r[k] for k in expected} == expected
    assert from_r["secr_detector"] == "proximity"
    assert from_r["secr_occasions"] == "5" and from_r["mark_occasions"] == "5"


def test_mark_file_lines(tmp_path, season):
    out = run_stage(tmp_path, season)
    lines = (out / "mark.inp").read_text().splitlines()
    assert "/* I1 */ 10000 1;" in lines and "/* I2 */ 01010 1;" in lines


def test_camtrap_dp_is_valid_offline(tmp_path, season, shared_dir):
    folder = tmp_path / "dp"
    write_camtrap_dp(
        deployments(tmp_path),
        IMAGES.read(season["images"]),
        DETECTIONS.read(season["detections"]),
        CROPS.read(season["crops"]),
        IDENTITIES.read(season["identities"]),
        PackageMetadata(
            title="Test season",
            contributors=({"title": "Jane Doe", "role": "contact"},),
            crs="EPSG:32632",
        ),
        folder,
    )
    report = validate_camtrap_dp(folder, shared_dir / "schemas", tmp_path)
    assert report.valid, report.flatten(["type", "fieldName", "note"])
    obs = pd.read_csv(folder / "observations.csv")
    assert set(obs["individualID"].dropna()) == {"I1", "I2"}
    assert obs["classificationMethod"].eq("machine").all()
    deps = pd.read_csv(folder / "deployments.csv").set_index("deploymentID")
    assert 46 < deps.loc["A__1", "latitude"] < 47
    assert "problem periods" in deps.loc["B__1", "deploymentComments"]


def test_without_identities_effort_and_occupancy_are_still_written(tmp_path, season):
    out = run_stage(tmp_path, season, identities=False)
    assert pd.read_parquet(out / "captures.parquet").empty
    assert pd.read_parquet(out / "capture_history.parquet").empty
    assert "1 NONE 1 NONE" in (out / "secr/captures.txt").read_text()
    assert (out / "mark.inp").read_text().startswith("/* trapline: no individual")
    from_r = r_totals(out)
    assert from_r["secr_individuals"] == "0" and from_r["secr_usage_sum"] == "17.5"


@pytest.mark.parametrize(
    "change,message",
    [
        (
            {"stations_crs": "EPSG:4326"},
            "'stations_crs' = 'EPSG:4326' is not projected",
        ),
        ({"stations_crs": "UTM 32"}, "is not a coordinate reference system"),
        ({"capture": {"day1": "2026-02-30"}}, "day1 = '2026-02-30'"),
        ({"capture": {"flank": "up"}}, "key 'capture.flank' = 'up'"),
    ],
)
def test_capture_config_mistakes_are_named(change, message):
    from pathlib import Path

    import yaml

    from trapline.config import ConfigError, check_config, load_schema

    root = Path(__file__).resolve().parents[2]
    config = yaml.safe_load((root / "config/demo.yaml").read_text()) | change
    with pytest.raises(ConfigError, match=message):
        check_config(config, load_schema(root / "config/schema.yaml"))


MULTI = """\
Station,Session,utm_x,utm_y,Setup_date,Retrieval_date
N1,north,600000,5150000,2026-03-01,2026-03-04
N2,north,601000,5150000,2026-03-01,2026-03-04
S1,south,600000,5140000,2026-04-01,2026-04-06
S2,south,601000,5140000,2026-04-01,2026-04-06
"""


def test_sessions_get_their_own_occasions_and_trap_files(tmp_path):
    from trapline.capture import screen_events
    from trapline.capture.history import capture_history
    from trapline.export.mark import mark_lines
    from trapline.export.secr import write_secr

    deps = deployments(tmp_path, MULTI)
    grid = occasion_grid(camera_operation(deps))
    k = grid.occasions.groupby("Session")["Occasion"].max().to_dict()
    assert k == {"north": 4, "south": 6}
    recs = records(
        ("N1", None, "2026-03-02 10:00", "I1"),
        ("S2", None, "2026-04-05 10:00", "I1"),
    )
    recs["Session"] = ["north", "south"]
    recs["deployment_id"] = ["N1", "S2"]
    recs["Species"] = "Lynx lynx"
    kept, excluded = screen_events(recs, deps, grid, "Individual", CaptureSettings())
    assert excluded.empty and kept["Occasion"].tolist() == [2, 5]
    history = capture_history(kept, grid)
    assert history["ch"].tolist() == ["0100", "000010"]
    assert mark_lines(history)[-2:] == ["/* I1 */ 0100.. 1 0;", "/* I1 */ 000010 0 1;"]
    traps = pd.DataFrame(
        {
            "Session": ["north", "north", "south", "south"],
            "Detector": ["N1", "N2", "S1", "S2"],
            "x": [600000.0, 601000.0, 600000.0, 601000.0],
            "y": [5150000.0, 5150000.0, 5140000.0, 5140000.0],
            "n_cameras": [1, 1, 1, 1],
        }
    )
    files = write_secr(kept, grid.effort, traps, "proximity", tmp_path / "secr")
    assert [f.name for f in files] == [
        "captures.txt",
        "traps_north.txt",
        "traps_south.txt",
    ]
    text = files[0].read_text()
    assert 'c("traps_north.txt", "traps_south.txt")' in text
    assert "noccasions = c(4, 6)" in text
    assert "north I1 2 N1" in text and "south I1 5 S2" in text


def test_r_with_nanoparquet_shows_local_time(tmp_path, season):
    """nanoparquet drops the Arrow zone and shows UTC; the text column and the
    README's one line (examples/local_time.R) give R the local time."""
    env = r_packages("nanoparquet")
    out = run_stage(tmp_path, season)
    captures = pd.read_parquet(out / "captures.parquet")
    assert captures["DateTimeLocal"].tolist()[0] == "2026-03-01 13:00:00"
    results = tmp_path / "results"
    (results / "capture").mkdir(parents=True)
    (results / "capture/captures.parquet").write_bytes(
        (out / "captures.parquet").read_bytes()
    )
    example = Path(__file__).resolve().parents[2] / "examples/local_time.R"
    script = (
        "caps <- nanoparquet::read_parquet(commandArgs(TRUE)[1]); "
        "cat(format(caps$DateTimeOriginal[1], '%H:%M:%S %Z'), '\\n')"
    )
    done = subprocess.run(
        [rscript(), "-e", script, str(results / "capture/captures.parquet")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "12:00:00 UTC", "nanoparquet no longer shows UTC?"
    done = subprocess.run(
        [rscript(), str(example), str(results), TZ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "2026-03-01 13:00:00" in done.stdout


def test_local_text_is_wall_clock_time_in_the_frames_zone():
    from trapline.tables import local_text

    when = pd.Series(pd.to_datetime(["2026-03-01 13:00:05", None]).tz_localize(TZ))
    assert local_text(when).tolist() == ["2026-03-01 13:00:05", None]
