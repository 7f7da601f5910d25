"""The capture stage in a real Snakemake run of the tiny simulated season."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from capture_checks import parquet_totals, r_totals, validate_camtrap_dp

from conftest import snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("capture_workflow")
    done = snakemake(workdir)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir / ".test/results"


def test_captures_come_from_identities_and_agree_with_the_history(results):
    capture = results / "capture"
    captures = pd.read_parquet(capture / "captures.parquet")
    history = pd.read_parquet(capture / "capture_history.parquet")
    identities = pd.read_parquet(results / "identities.parquet")
    excluded = pd.read_parquet(capture / "excluded.parquet")
    assert len(captures) > 0
    seen = set(captures["Individual"]) | set(
        excluded.loc[excluded["record_type"] == "individual", "Individual"]
    )
    assert seen == set(identities["individual_id"])
    assert set(history["Individual"]) == set(captures["Individual"])
    assert history["n_captures"].sum() == len(captures)
    per = captures.groupby("Individual")["Occasion"].apply(set)
    for row in history.itertuples():
        caught = {k + 1 for k, c in enumerate(row.ch) if c == "1"}
        assert caught == per[row.Individual]


def test_captures_of_catalogue_animals_are_true_encounters(results):
    """Each capture of a catalogue lynx is a true photo of it, there, that day."""
    truth = pd.read_parquet(results.parent / "season/truth/detections.parquet")
    truth = truth[truth["individual_id"].notna()]
    true_days = set(
        zip(
            truth["individual_id"],
            truth["station"],
            truth["datetime"].dt.date,
            strict=True,
        )
    )
    captures = pd.read_parquet(results / "capture/captures.parquet")
    known = captures[~captures["is_new"]]
    assert len(known) > 0
    for row in known.itertuples():
        assert (row.Individual, row.Station, row.Date) in true_days


def test_effort_follows_the_stations_table(results):
    stations = pd.read_csv(results.parent / "season/stations.csv")
    effort = pd.read_parquet(results / "capture/effort.parquet")
    occasions = pd.read_parquet(results / "capture/occasions.parquet")
    first = occasions["start"].min().date()
    for row in stations.itertuples():
        cells = effort[effort["Station"] == row.Station].set_index("Occasion")
        setup = (pd.Timestamp(row.Setup_date).date() - first).days + 1
        assert cells.loc[: setup - 1, "effort"].isna().all()
        assert cells.loc[setup, "effort"] > 0
        if isinstance(row.Problem1_from, str):
            day = (pd.Timestamp(row.Problem1_from).date() - first).days + 1
            assert cells.loc[day, "effort"] == 0


def test_base_r_reads_the_exports_with_the_parquet_totals(results):
    from_r = r_totals(results / "capture")
    expected = parquet_totals(results / "capture")
    assert {k: from_r[k] for k in expected} == expected


def test_estimate_is_compared_with_the_true_population(results):
    report = json.loads((results / "capture/estimate.json").read_text())
    (lynx,) = report["estimates"]
    assert lynx["Species"] == "Lynx lynx"
    assert lynx["chao_mh"]["N"] >= lynx["individuals_captured"]
    truth = report["truth"]
    individuals = pd.read_parquet(results.parent / "season/truth/individuals.parquet")
    assert truth["individuals"] == len(individuals)
    assert set(truth["bias"][0]) >= {"chao_mh", "schnabel"}


def test_camtrap_dp_package_is_valid(results, shared_dir, tmp_path):
    report = validate_camtrap_dp(
        results / "camtrap-dp", shared_dir / "schemas", tmp_path
    )
    assert report.valid, report.flatten(["type", "fieldName", "note"])[:10]
    obs = pd.read_csv(results / "camtrap-dp/observations.csv")
    identities = pd.read_parquet(results / "identities.parquet")
    assert obs["individualID"].notna().sum() == len(identities)
