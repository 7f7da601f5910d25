"""Real Snakemake runs of the workflow on a tiny simulated season."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, snakemake, snakemake_command

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def season_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("workflow")
    done = snakemake(workdir)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_every_file_is_an_image_or_quarantined_as_truth_says(season_run):
    truth = pd.read_parquet(season_run / ".test/season/truth/files.parquet")
    images = pd.read_parquet(season_run / ".test/results/images.parquet")
    quarantine = pd.read_parquet(season_run / ".test/results/quarantine.parquet")
    on_disk = {
        p.relative_to(season_run / ".test/season/images").as_posix()
        for p in (season_run / ".test/season/images").rglob("*")
        if p.is_file()
    }
    assert len(images) + len(quarantine) == len(on_disk)
    assert set(images["path"]) | set(quarantine["path"]) == on_disk
    expected = truth.set_index("path")["expected_reason"]
    got = quarantine.set_index("path")["reason"]
    assert got.to_dict() == expected.dropna().to_dict()
    assert set(images["path"]) == set(expected[expected.isna()].index)


def test_nothing_set_aside_by_the_inventory_is_cropped(season_run):
    """An animal in an image quarantined ``outside_deployment`` (the simulator's
    fox, photographed after its camera was retrieved, with its box in the imported
    MegaDetector file) never reaches a detection, a crop or a later table."""
    results = season_run / ".test/results"
    truth = pd.read_parquet(season_run / ".test/season/truth/detections.parquet")
    quarantine = pd.read_parquet(results / "quarantine.parquet")
    outside = quarantine.loc[quarantine["reason"] == "outside_deployment", "path"]
    animals = set(truth.loc[truth["category"] == "animal", "path"])
    assert set(outside) & animals, "the season lacks an animal set aside"
    images = set(pd.read_parquet(results / "images.parquet")["image_id"])
    crops = pd.read_parquet(results / "crops.parquet")
    assert set(crops["image_id"]) <= images
    shard_crops = pd.concat(
        pd.read_parquet(p)
        for p in (results / "crops/shards").glob("*.parquet")
        if not p.name.endswith(".quarantine.parquet")
    )
    assert set(shard_crops["image_id"]) <= images
    detected = pd.read_parquet(results / "detections.parquet")
    assert set(detected["image_id"]) <= images
    identities = pd.read_parquet(results / "identities.parquet")
    assert set(identities["crop_id"]) <= set(crops["crop_id"])


def test_corrected_times_equal_the_true_times(season_run):
    truth = pd.read_parquet(season_run / ".test/season/truth/files.parquet")
    images = pd.read_parquet(season_run / ".test/results/images.parquet")
    merged = images.merge(truth, on="path")
    assert len(merged) == len(images)
    assert (merged["datetime"] == merged["datetime_true"]).all()
    assert (merged["clock_offset_s"] != 0).any(), "the wrong-clock camera is missing"


def test_noop_rerun_plans_nothing(season_run):
    done = snakemake(season_run, "-n")
    assert done.returncode == 0, done.stderr
    assert "Nothing to be done" in done.stdout + done.stderr


def test_misspelt_key_stops_the_run_naming_it(tmp_path):
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    config["timzone"] = config.pop("timezone")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path, "-n", config=path)
    assert done.returncode != 0
    assert "unknown key 'timzone': did you mean 'timezone'?" in done.stdout


@pytest.mark.parametrize("key", ["timezone", "target_species"])
def test_a_users_config_lacking_a_required_key_is_not_filled_from_the_template(
    key, tmp_path
):
    """config/config.yaml (the template) is not merged under a --configfile: its
    Etc/GMT-1 and Lynx lynx must not run silently for a user who left them out."""
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    del config[key]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path, "-n", config=path)
    assert done.returncode != 0
    assert f"missing key '{key}'" in done.stdout + done.stderr


def test_bad_stations_cell_stops_the_run_naming_file_row_column(season_run, tmp_path):
    season = tmp_path / "season"
    shutil.copytree(season_run / ".test/season", season)
    stations = pd.read_csv(season / "stations.csv", dtype=str)
    stations.loc[1, "Setup_date"] = "2026-02-30"
    stations.to_csv(season / "stations.csv", index=False)
    config = {
        "images_root": str(season / "images"),
        "stations": str(season / "stations.csv"),
        "results": str(tmp_path / "results"),
        "timezone": "Etc/GMT-1",
        "target_species": ["Lynx lynx"],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path, "-n", config=path)
    assert done.returncode != 0
    assert f"stations table {season / 'stations.csv'}, row 3" in done.stdout
    assert "'Setup_date' = '2026-02-30'" in done.stdout


def test_identities_cover_only_the_target_species(season_run):
    results = season_run / ".test/results"
    identities = pd.read_parquet(results / "identities.parquet")
    crops = pd.read_parquet(results / "crops.parquet").set_index("crop_id")
    assert len(identities) > 0
    assert set(crops.loc[identities["crop_id"], "species"]) == {"Lynx lynx"}
    assert (results / "review/index.html").is_file()
    metrics = json.loads((results / "metrics.json").read_text())
    assert {"top1", "baks", "baus", "ari"} <= set(metrics)
    assert metrics["simulator"]["seed"] == 3


def test_every_animal_has_a_species_and_counts_follow_the_labels(season_run):
    results = season_run / ".test/results"
    detections = pd.read_parquet(results / "detections.parquet")
    animals = detections[detections["category"] == "animal"]
    assert animals["species"].notna().all()
    assert detections.loc[detections["category"] != "animal", "species"].isna().all()
    counts = pd.read_parquet(results / "species_counts.parquet")
    per_image = counts[counts["level"] == "image"]
    assert per_image["count"].sum() == len(animals)
    images = pd.read_parquet(results / "images.parquet").set_index("image_id")
    per_image = per_image.assign(
        sequence_id=images.loc[per_image["id"], "sequence_id"].to_numpy()
    )
    most = per_image.groupby(["sequence_id", "species"])["count"].max()
    per_sequence = counts[counts["level"] == "sequence"].set_index(["id", "species"])
    assert per_sequence["count"].sort_index().tolist() == most.sort_index().tolist()
    species = json.loads((results / "metrics.json").read_text())["species"]
    assert species["accuracy"] == 1.0  # the imported labels are the simulator's truth
    assert species["identified_crops"] > 0
    assert species["identified_non_target"] == 0


def test_review_decisions_rerun_only_identification_and_are_applied(season_run):
    results = season_run / ".test/results"
    identities = pd.read_parquet(results / "identities.parquet")
    new = identities[identities["is_new"]]
    assert len(new) > 0, "the tiny season should hold animals the catalogue lacks"
    crop = new["crop_id"].iloc[0]
    decisions = season_run / "my_decisions.csv"
    decisions.write_text(
        "crop_id,proposed_individual,decision,new_name,note\n"
        f"{crop},{new['individual_id'].iloc[0]},new,Tom,named in review\n"
    )
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    config["identify"]["decisions"] = str(decisions)
    path = season_run / "reviewed.yaml"
    path.write_text(yaml.safe_dump(config))
    plan = snakemake(season_run, "-n", config=path)
    planned = {
        line.split()[1].rstrip(":")
        for line in plan.stdout.splitlines()
        if line.startswith(("rule ", "localrule "))
    }
    # Identification and what is built from identities: the capture histories,
    # their exports, the Camtrap DP package and the season report.
    downstream = {"capture", "export_capture", "camtrap_dp", "report"}
    assert planned == {"identify", "review", "metrics", "all"} | downstream, plan.stdout
    done = snakemake(season_run, config=path)
    assert done.returncode == 0, done.stderr[-3000:]
    after = pd.read_parquet(results / "identities.parquet").set_index("crop_id")
    assert after.loc[crop, "individual_id"] == "Tom"
    assert after.loc[crop, "source"] == "review"
    assert after.loc[crop, "is_new"], "a name given in review is not a catalogue animal"
    # Provisional IDs of the other new animals are not renumbered.
    before = identities.set_index("crop_id")["individual_id"]
    others = before[before.str.startswith("NEW") & (before.index != crop)]
    track = identities.set_index("crop_id").loc[crop, "track_id"]
    others = others[
        identities.set_index("crop_id").loc[others.index, "track_id"] != track
    ]
    assert (after.loc[others.index, "individual_id"] == others).all()


def test_identify_killed_mid_cache_write_reruns_to_a_clean_runs_identities(
    season_run, tmp_path
):
    """SIGKILL while identification writes its caches; the rerun (with whatever the
    kill left in identify/cache/) gives the identities of an uninterrupted run."""
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for workdir in (clean, killed):
        shutil.copytree(season_run, workdir, symlinks=True)
        shutil.rmtree(workdir / ".test/results/identify/cache")
    identities = ".test/results/identities.parquet"
    done = snakemake(clean, "--forcerun", identities)
    assert done.returncode == 0, done.stderr[-3000:]
    cache = killed / ".test/results/identify/cache"
    process = subprocess.Popen(
        snakemake_command(killed, "--forcerun", identities),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline, stopped = time.monotonic() + 600, False
    while time.monotonic() < deadline and process.poll() is None:
        if cache.is_dir() and len(list(cache.iterdir())) >= 3:
            os.killpg(process.pid, signal.SIGKILL)
            stopped = True
            break
        time.sleep(0.01)
    process.wait()
    assert stopped, "identify finished before it could be killed"
    assert snakemake(killed, "--unlock").returncode == 0
    done = snakemake(killed)
    assert done.returncode == 0, done.stderr[-3000:]
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / identities), pd.read_parquet(clean / identities)
    )
