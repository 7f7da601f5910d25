"""Tests for the simulated season (trapline.simulate), on the tiny settings."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trapline.simulate import SeasonSettings, simulate_season
from trapline.simulate.cli import main
from trapline.simulate.textures import flank_texture

TINY = SeasonSettings.tiny()
READABLE = {"image", "empty", "no_exif", "outside_deployment", "unknown_station"}


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("season")
    simulate_season(out, TINY)
    return out


@pytest.fixture(scope="module")
def files(season) -> pd.DataFrame:
    return pd.read_parquet(season / "truth" / "files.parquet")


@pytest.fixture(scope="module")
def detections(season) -> pd.DataFrame:
    return pd.read_parquet(season / "truth" / "detections.parquet")


@pytest.fixture(scope="module")
def stations(season) -> pd.DataFrame:
    return pd.read_csv(season / "stations.csv", dtype=str, keep_default_na=False)


def test_same_seed_any_processes_gives_identical_bytes(season, tmp_path):
    again = tmp_path / "again"
    simulate_season(again, dataclasses.replace(TINY, processes=2))
    assert _digest(again) == _digest(season)


def test_different_seed_gives_different_images(season, tmp_path):
    other = tmp_path / "other"
    simulate_season(other, dataclasses.replace(TINY, seed=2))
    ours, theirs = _digest(season / "images"), _digest(other / "images")
    shared = set(ours) & set(theirs)
    assert sum(ours[p] != theirs[p] for p in shared) > 0.9 * len(shared)


def test_every_image_file_listed_exactly_once(season, files):
    on_disk = sorted(
        p.relative_to(season / "images").as_posix()
        for p in (season / "images").rglob("*")
        if p.is_file()
    )
    assert files["path"].is_unique
    assert sorted(files["path"]) == on_disk


def test_season_has_lynx_recaptures_and_other_species(detections):
    lynx = detections[detections["species"] == "Lynx lynx"]
    assert lynx["individual_id"].notna().all()
    assert set(lynx["flank"]) <= {"left", "right"}
    assert lynx["encounter_id"].nunique() >= 3
    assert {"Vulpes vulpes", "Homo sapiens"} <= set(detections["species"])
    others = detections[detections["species"] != "Lynx lynx"]
    assert others["individual_id"].isna().all() and others["flank"].isna().all()


def test_boxes_inside_frame(detections):
    for col in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"):
        assert detections[col].between(0, 1).all()
    assert (detections["bbox_w"] > 0).all() and (detections["bbox_h"] > 0).all()
    assert (detections["bbox_x"] + detections["bbox_w"] <= 1 + 1e-9).all()
    assert (detections["bbox_y"] + detections["bbox_h"] <= 1 + 1e-9).all()


def test_flank_textures_are_independent_not_mirrored():
    left, right = flank_texture(11, "left"), flank_texture(11, "right")
    other = flank_texture(12, "right")
    for a, b in ((left, right), (left, right[:, ::-1]), (right, other)):
        diff = np.abs(a.astype(int) - b.astype(int)).mean()
        assert diff > 5, diff
    assert np.array_equal(flank_texture(11, "left"), left)


def test_paired_cameras_see_opposite_flanks_at_same_instant(detections):
    lynx = detections[
        (detections["species"] == "Lynx lynx") & (detections["frame"] == 0)
    ]
    pairs = lynx.groupby("encounter_id").filter(lambda g: g["camera"].nunique() == 2)
    assert len(pairs) > 0
    for _, group in pairs.groupby(["encounter_id", "individual_id"]):
        assert set(group["flank"]) == {"left", "right"}
        assert group["datetime"].nunique() == 1


def test_clock_offsets_and_exif_times(season, files, stations):
    offsets = stations.set_index(["Station", "Camera"])["Clock_offset"].map(
        pd.Timedelta
    )
    assert (offsets != pd.Timedelta(0)).sum() == 1
    stamped = files[files["datetime_exif"].notna()]
    for row in stamped.itertuples():
        offset = offsets.get((row.station, row.camera), pd.Timedelta(0))
        expected = (row.datetime_true.tz_localize(None) - offset).strftime(
            "%Y:%m:%d %H:%M:%S"
        )
        assert row.datetime_exif == expected
        if row.kind in READABLE:
            with Image.open(season / "images" / row.path) as im:
                assert im.getexif().get_ifd(0x8769)[0x9003] == expected
    wrong = offsets[offsets != pd.Timedelta(0)].index[0]
    mine = stamped[(stamped["station"] == wrong[0]) & (stamped["camera"] == wrong[1])]
    assert len(mine) > 0


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_reads_tags(season, files):
    row = files[files["kind"] == "image"].iloc[0]
    out = subprocess.run(
        [
            "exiftool",
            "-j",
            "-DateTimeOriginal",
            "-Make",
            "-Model",
            "-SerialNumber",
            str(season / "images" / row["path"]),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tags = json.loads(out.stdout)[0]
    assert tags["DateTimeOriginal"] == row["datetime_exif"]
    assert (
        tags["Make"] in {"RECONYX", "Browning"}
        and tags["Model"]
        and tags["SerialNumber"]
    )


def test_no_images_outside_operation(files, stations):
    usable = files[files["expected_reason"].isna()]
    table = stations.set_index(["Station", "Camera"])
    assert (table["Problem1_from"] != "").sum() == 1
    for row in usable.itertuples():
        cam = table.loc[(row.station, row.camera)]
        day = row.datetime_true.date().isoformat()
        assert cam["Setup_date"] <= day <= cam["Retrieval_date"]
        if cam["Problem1_from"]:
            assert not cam["Problem1_from"] <= day <= cam["Problem1_to"]
    outside = files[files["kind"] == "outside_deployment"]
    assert len(outside) == 2
    days = [
        (
            row.datetime_true.date().isoformat(),
            table.loc[(row.station, row.camera), "Setup_date"],
            table.loc[(row.station, row.camera), "Retrieval_date"],
        )
        for row in outside.itertuples()
    ]
    assert sum(day < setup for day, setup, _ in days) == 1  # the test shot
    assert sum(day > retrieval for day, _, retrieval in days) == 1  # the fox


def test_animal_after_retrieval_is_quarantined_but_in_the_truth(
    season, files, detections, stations
):
    table = stations.set_index(["Station", "Camera"])
    rows = detections.merge(files[["path", "expected_reason"]], on="path")
    foxes = rows[
        (rows["expected_reason"] == "outside_deployment")
        & (rows["category"] == "animal")
    ]
    assert len(foxes) == 1
    fox = foxes.iloc[0]
    assert fox["species"] == "Vulpes vulpes"
    assert fox["bbox_w"] > 0 and fox["bbox_h"] > 0
    cam = table.loc[(fox["station"], fox["camera"])]
    assert cam["Clock_offset"] == "00:00:00"
    assert fox["datetime"].date().isoformat() > cam["Retrieval_date"]
    # It is the last file of its camera, so no other file was renumbered.
    folder = files[
        (files["station"] == fox["station"]) & (files["camera"] == fox["camera"])
    ]
    assert fox["path"] == max(folder["path"])
    md = json.loads((season / "truth" / "megadetector.json").read_text())
    listed = {im["file"]: im["detections"] for im in md["images"]}
    assert [d["category"] for d in listed[fox["path"]]] == ["1"]


def test_bad_files_are_what_they_claim(season, files):
    reasons = set(files["expected_reason"].dropna())
    assert reasons == {
        "truncated",
        "empty_file",
        "not_jpeg",
        "unsupported",
        "no_timestamp",
        "outside_deployment",
        "unknown_station",
    }
    by_kind = files.set_index("kind")["path"]
    assert (season / "images" / by_kind["zero_byte"]).stat().st_size == 0
    assert by_kind["unknown_station"].startswith("ST99/A/")
    with (
        pytest.raises(OSError),
        Image.open(season / "images" / by_kind["truncated"]) as im,
    ):
        im.load()
    with Image.open(season / "images" / by_kind["no_exif"]) as im:
        assert 0x9003 not in im.getexif().get_ifd(0x8769)
    assert (
        files["path"].str.endswith(".jpg").any()
        and files["path"].str.endswith(".JPG").any()
    )


def test_megadetector_json_lists_exactly_readable_images(season, files, detections):
    md = json.loads((season / "truth" / "megadetector.json").read_text())
    assert md["info"]["format_version"] == "1.4"
    listed = {im["file"] for im in md["images"]}
    decodable = set()
    for path in files["path"]:
        try:
            with Image.open(season / "images" / path) as im:
                im.load()
            decodable.add(path)
        except OSError:
            pass
    assert listed == decodable == set(files.loc[files["kind"].isin(READABLE), "path"])
    n_boxes = sum(len(im["detections"]) for im in md["images"])
    assert n_boxes == len(detections)
    for im in md["images"]:
        for det in im["detections"]:
            assert ("classifications" in det) == (det["category"] == "1")


def test_catalogue_has_both_flanks_of_catalogue_individuals_only(season):
    individuals = pd.read_parquet(season / "truth" / "individuals.parquet")
    in_cat = set(individuals.loc[individuals["in_catalogue"], "individual_id"])
    folders = {p.name for p in (season / "catalogue").iterdir()}
    assert folders == in_cat and in_cat
    for ind in in_cat:
        names = sorted(p.name for p in (season / "catalogue" / ind).iterdir())
        expected = sorted(
            f"{ind}_{flank}_{k}.jpg"
            for flank in ("left", "right")
            for k in range(1, TINY.catalogue_per_flank + 1)
        )
        assert names == expected
        with Image.open(season / "catalogue" / ind / names[0]) as im:
            assert im.width < TINY.width  # a crop, not a full frame


def test_cli_writes_a_season(tmp_path, capsys):
    assert main([str(tmp_path / "cli"), "--tiny", "--days", "3", "--seed", "5"]) == 0
    assert (tmp_path / "cli" / "truth" / "files.parquet").exists()
    settings = json.loads((tmp_path / "cli" / "truth" / "settings.json").read_text())
    assert settings["seed"] == 5 and settings["days"] == 3
    assert "difficulty" in settings and "n_files" in capsys.readouterr().out
