"""Tagged individuals through a real Snakemake run: the capture history they give
is the one computed by hand from the same records.

The tiny simulated season is written, every image showing a lynx is tagged by
exiftool with its true individual (``Individual|<id>``, as DigiKam and Lightroom
write hierarchical keywords), and one empty image is tagged with an individual
no box can carry. The machine's identification is thereby overruled everywhere,
so the history must follow the tags cell by cell: occasion k is day k from the
first setup day, a 1 where the animal was photographed that day at a station
working then (the stations table's problem periods set records aside).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import TEST_CONFIG, snakemake

pytestmark = pytest.mark.slow


def tag(paths: list[Path], keyword: str) -> None:
    """Add a hierarchical keyword to files with real exiftool (one call)."""
    found = shutil.which("exiftool")
    if found is None:
        pytest.fail("exiftool not found: ./install.sh installs it (apt exiftool)")
    done = subprocess.run(
        [found, "-q", "-overwrite_original",
         f"-XMP-lr:HierarchicalSubject+={keyword}", *map(str, paths)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def tagged_run(tmp_path_factory) -> Path:
    from trapline.simulate import SeasonSettings, simulate_season

    workdir = tmp_path_factory.mktemp("tags_workflow")
    season = workdir / "season"
    simulate_season(season, SeasonSettings.tiny())
    truth = pd.read_parquet(season / "truth/detections.parquet")
    lynx = truth[truth["individual_id"].notna()]
    for individual, rows in lynx.groupby("individual_id"):
        tag([season / "images" / p for p in sorted(set(rows["path"]))],
            f"Individual|{individual}")  # fmt: skip
    files = pd.read_parquet(season / "truth/files.parquet")
    empty = sorted(files.loc[files["kind"] == "empty", "path"])[0]
    tag([season / "images" / empty], "Individual|GHOST01")
    config = yaml.safe_load(TEST_CONFIG.read_text())
    del config["simulate"]
    config |= {
        "images_root": str(season / "images"),
        "stations": str(season / "stations.csv"),
        "results": "results",
        "detect": {"detector": "precomputed",
                   "precomputed": str(season / "truth/megadetector.json")},
        "identify": {"catalogue": str(season / "catalogue")},
    }  # fmt: skip
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(workdir, config=path)
    assert done.returncode == 0, done.stderr[-4000:]
    # The same season scored: identification as if untagged, tags as the truth.
    config["results"] = "scored"
    config["identify"]["truth"] = "tags"
    path = workdir / "scored.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(workdir, config=path)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def hand_cells(season: Path, images: pd.DataFrame) -> tuple[set, int]:
    """(individual, occasion, station) of every lynx the truth puts in a usable
    image on a working day, and the number of occasions (days)."""
    truth = pd.read_parquet(season / "truth/detections.parquet")
    records = truth[truth["individual_id"].notna()]
    records = records[records["path"].isin(set(images["path"]))]
    stations = pd.read_csv(season / "stations.csv")
    day1 = pd.to_datetime(stations["Setup_date"]).min().date()
    last = pd.to_datetime(stations["Retrieval_date"]).max().date()
    days = (last - day1).days + 1
    problem = {
        (row.Station, pd.Timestamp(row.Problem1_from).date() + dt.timedelta(d))
        for row in stations.dropna(subset=["Problem1_from"]).itertuples()
        for d in range(
            (pd.Timestamp(row.Problem1_to) - pd.Timestamp(row.Problem1_from)).days + 1
        )
    }
    cells = {
        (row.individual_id, (row.datetime.date() - day1).days + 1, row.station)
        for row in records.itertuples()
        if (row.station, row.datetime.date()) not in problem
    }
    return cells, days


def hand_history(season: Path, images: pd.DataFrame) -> pd.DataFrame:
    """Individual × occasion 0/1 from the hand-computed cells."""
    triples, days = hand_cells(season, images)
    cells = {}
    for individual, occasion, _ in triples:
        cells.setdefault(individual, [0] * days)[occasion - 1] = 1
    return pd.DataFrame(
        [[ind, *ch] for ind, ch in sorted(cells.items())],
        columns=["Individual", *[f"o{k}" for k in range(1, days + 1)]],
    )


def test_tagged_individuals_give_the_hand_computed_capture_history(tagged_run):
    results = tagged_run / "results"
    images = pd.read_parquet(results / "images.parquet")
    expected = hand_history(tagged_run / "season", images)
    history = pd.read_parquet(results / "capture/capture_history.parquet")
    occasions = [c for c in history.columns if c.startswith("o") and c[1:].isdigit()]
    assert occasions == list(expected.columns[1:]), "occasions differ from the days"
    got = history[["Individual", *occasions]].sort_values("Individual")
    got = got.reset_index(drop=True).astype({c: int for c in occasions})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    identities = pd.read_parquet(results / "identities.parquet")
    assert set(identities["source"]) == {"tag"}
    # × station too: every (individual, occasion, station) cell of the
    # three-dimensional history (secr's capthist) is where the tags put it.
    captures = pd.read_parquet(results / "capture/captures.parquet")
    got_cells = {
        (r.Individual, int(r.Occasion), r.Station) for r in captures.itertuples()
    }
    assert got_cells == hand_cells(tagged_run / "season", images)[0]


def test_an_individual_tagged_on_an_image_without_an_animal_is_quarantined(
    tagged_run,
):
    results = tagged_run / "results"
    quarantine = pd.read_parquet(results / "quarantine.parquet")
    held = quarantine[quarantine["reason"] == "tagged_without_animal"]
    assert len(held) == 1 and "GHOST01" in held["detail"].iloc[0]
    images = pd.read_parquet(results / "images.parquet")
    assert not images["path"].isin(held["path"]).any()
    captures = pd.read_parquet(results / "capture/captures.parquet")
    assert "GHOST01" not in set(captures["Individual"])
    tagged = images["tag_individuals"].notna().sum()
    truth = pd.read_parquet(tagged_run / "season/truth/detections.parquet")
    lynx_paths = set(truth.loc[truth["individual_id"].notna(), "path"])
    assert tagged == len(lynx_paths & set(images["path"]))


def test_truth_tags_scores_the_machine_on_the_tags(tagged_run):
    scored = tagged_run / "scored"
    metrics = json.loads((scored / "metrics.json").read_text())
    identities = pd.read_parquet(scored / "identities.parquet")
    assert "tag" not in set(identities["source"]), "tags must not decide here"
    tagged = pd.read_parquet(tagged_run / "results/identities.parquet")
    assert metrics["truth"] == "tags"
    # The truth is only what the tags say without the machine: one tagged
    # individual on an image with one lynx box (images with two lynx are paired
    # by the machine's matches in the tagged run, so they cannot score it).
    truth = pd.read_parquet(tagged_run / "season/truth/detections.parquet")
    lynx = truth[truth["individual_id"].notna()]
    alone = set(lynx.loc[~lynx["path"].duplicated(keep=False), "path"])
    crops = pd.read_parquet(tagged_run / "results/crops.parquet")
    images = pd.read_parquet(tagged_run / "results/images.parquet")
    paths = crops.merge(images[["image_id", "path"]], on="image_id")
    single = paths[paths["path"].isin(alone) & paths["crop_id"].isin(tagged["crop_id"])]
    assert 0 < metrics["n_crops_with_truth"] == len(single) < len(tagged)
    scored = tagged[tagged["crop_id"].isin(single["crop_id"])]
    assert metrics["n_tagged_individuals"] == scored["individual_id"].nunique()
    assert 0 <= metrics["top1"] <= 1 and 0 <= metrics["baus"] <= 1
    pairs = sorted(set(lynx.loc[lynx["path"].duplicated(keep=False), "path"]))
    assert [line.split(":")[0] for line in metrics["tags_not_placed"]] == pairs


def test_tagged_crops_become_a_catalogue_table(tagged_run, tmp_path):
    from trapline.identify.catalogue import read_catalogue
    from trapline.identify.tagcatalogue import main

    out = tmp_path / "catalogue.csv"
    main([str(tagged_run / "results"), str(out)])
    catalogue = read_catalogue(out)
    identities = pd.read_parquet(tagged_run / "results/identities.parquet")
    assert set(catalogue["individual_id"]) == set(identities["individual_id"])
    assert len(catalogue) == len(identities)
    assert set(catalogue["flank"]) <= {"left", "right", "unknown"}
