"""Real Snakemake runs of the workflow on a tiny simulated season."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"

pytestmark = pytest.mark.slow


def snakemake(workdir: Path, *args: str, config: Path | None = None):
    command = [
        str(SNAKEMAKE),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(config or ROOT / "tests/config/config.yaml"),
        "--cores",
        "2",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


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
