"""A folder of tagged images as the catalogue, through a real Snakemake run.

The tiny simulated season is written; the images of each lynx's first encounter
are copied into a separate folder (as a programme keeps last year's identified
images) and tagged with real exiftool: ``Individual|<id>`` and ``Flank|<side>``
as DigiKam and Lightroom write hierarchical keywords; one image showing two lynx
gets both names (no flank: which box is which is not in the keywords, so it
is listed, not used), and one empty image names an individual no box can
carry. ``identify.catalogue`` points at that folder with ``catalogue_kind:
tagged`` and the simulator's truth MegaDetector file as the catalogue's
detections. The season itself is untagged: identification must find the tagged
animals in it from the catalogue the workflow built.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_tags_workflow import tag

from conftest import TEST_CONFIG, snakemake

pytestmark = pytest.mark.slow

UNTAGGED = "IMG_9999.JPG"


def first_encounters(truth: pd.DataFrame) -> pd.DataFrame:
    """The lynx boxes of each individual's first encounter, on one-lynx images."""
    lynx = truth[truth["individual_id"].notna()]
    alone = lynx[~lynx["path"].duplicated(keep=False)]
    first = alone.groupby("individual_id")["encounter_id"].transform("min")
    return alone[alone["encounter_id"] == first]


@pytest.fixture(scope="module")
def catalogue_run(tmp_path_factory) -> Path:
    from trapline.simulate import SeasonSettings, simulate_season

    workdir = tmp_path_factory.mktemp("tagged_catalogue")
    season = workdir / "season"
    simulate_season(season, SeasonSettings.tiny())
    truth = pd.read_parquet(season / "truth/detections.parquet")
    tagged = workdir / "tagged"

    def copy(path: str) -> Path:
        target = tagged / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(season / "images" / path, target)
        return target

    for (individual, flank), rows in first_encounters(truth).groupby(
        ["individual_id", "flank"]
    ):
        files = [copy(p) for p in sorted(set(rows["path"]))]
        tag(files, f"Individual|{individual}")
        tag(files, f"Flank|{flank}")
    lynx = truth[truth["individual_id"].notna()]
    pair = sorted(lynx.loc[lynx["path"].duplicated(keep=False), "path"])[0]
    copy(pair)
    # Written left to right, as a person names two animals side by side (the
    # keywords do not keep that order's meaning: the image is not a reference).
    for individual in lynx[lynx["path"] == pair].sort_values("bbox_x")["individual_id"]:
        tag([tagged / pair], f"Individual|{individual}")
    files = pd.read_parquet(season / "truth/files.parquet")
    empty = sorted(files.loc[files["kind"] == "empty", "path"])[0]
    tag([copy(empty)], "Individual|GHOST01")
    # An image nobody identified: in the folder, never a reference.
    target = tagged / "unsorted" / UNTAGGED
    target.parent.mkdir(parents=True)
    shutil.copy2(season / "images" / sorted(set(lynx["path"]))[-1], target)
    config = yaml.safe_load(TEST_CONFIG.read_text())
    del config["simulate"]
    config |= {
        "images_root": str(season / "images"),
        "stations": str(season / "stations.csv"),
        "results": "results",
        "detect": {"detector": "precomputed",
                   "precomputed": str(season / "truth/megadetector.json")},
        "identify": {"catalogue": str(tagged), "catalogue_kind": "tagged",
                     "catalogue_detections": str(season / "truth/megadetector.json")},
    }  # fmt: skip
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(workdir, config=path)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_the_catalogue_is_built_from_the_tags_and_the_boxes(catalogue_run):
    from trapline.identify.catalogue import read_catalogue

    truth = pd.read_parquet(catalogue_run / "season/truth/detections.parquet")
    table = catalogue_run / "results/catalogue/catalogue.csv"
    catalogue = read_catalogue(table)
    expected = first_encounters(truth)
    assert len(catalogue) == len(expected)
    rows = pd.read_csv(table)
    folder = (catalogue_run / "tagged").resolve()
    rows["rel"] = [
        (table.parent / p).resolve().relative_to(folder).as_posix()
        for p in rows["path"]
    ]
    got = rows.merge(expected, left_on=["rel", "individual_id"],
                     right_on=["path", "individual_id"],
                     suffixes=("", "_true"))  # fmt: skip
    assert len(got) == len(expected), "a tag went to another image or animal"
    for axis in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"):
        assert (got[axis] - got[f"{axis}_true"]).abs().max() < 0.01, axis
    assert (got["flank"] == got["flank_true"]).all()


def test_a_tag_without_an_animal_box_is_listed_with_the_reason(catalogue_run):
    not_placed = pd.read_csv(catalogue_run / "results/catalogue/not_placed.csv")
    truth = pd.read_parquet(catalogue_run / "season/truth/detections.parquet")
    lynx = truth[truth["individual_id"].notna()]
    pair = sorted(lynx.loc[lynx["path"].duplicated(keep=False), "path"])[0]
    two = sorted(lynx.loc[lynx["path"] == pair, "individual_id"])
    by_reason = not_placed.groupby("reason")["individual_id"].apply(sorted)
    assert by_reason.to_dict() == {
        "no_animal_box": ["GHOST01"],
        "several_individuals": two,
    }
    log = (catalogue_run / "results/logs/catalogue.log").read_text()
    assert "GHOST01" in log and "no_animal_box" in log


def test_identification_finds_the_tagged_individuals_in_the_season(catalogue_run):
    """Every crop of a tagged animal on a flank the catalogue holds is named after
    its tag, in the tagged images and in later encounters the tags never saw. (A
    flank the catalogue lacks cannot be matched: a left flank shares no pattern
    with the right one; those crops are not asserted here.)"""
    results = catalogue_run / "results"
    truth = pd.read_parquet(catalogue_run / "season/truth/detections.parquet")
    lynx = truth[truth["individual_id"].notna()]
    alone = lynx[~lynx["path"].duplicated(keep=False)]
    identities = pd.read_parquet(results / "identities.parquet")
    assert "tag" not in set(identities["source"]), "the season is untagged"
    crops = pd.read_parquet(results / "crops.parquet")
    images = pd.read_parquet(results / "images.parquet")
    named = identities.merge(crops[["crop_id", "image_id"]], on="crop_id").merge(
        images[["image_id", "path"]], on="image_id"
    )
    named = named.merge(alone[["path", "individual_id", "flank", "encounter_id"]],
                        on="path", suffixes=("", "_true"))  # fmt: skip
    catalogue = pd.read_csv(results / "catalogue/catalogue.csv")
    held = set(zip(catalogue["individual_id"], catalogue["flank"], strict=True))
    known = named[
        [(i, f) in held for i, f in zip(named["individual_id_true"],
                                        named["flank_true"], strict=True)]
    ]  # fmt: skip
    assert len(known) > 0
    wrong = known[known["individual_id"] != known["individual_id_true"]]
    assert wrong.empty, wrong[["path", "individual_id", "individual_id_true"]]
    later = known[
        ~known["encounter_id"].isin(set(first_encounters(truth)["encounter_id"]))
    ]
    assert later["individual_id_true"].nunique() >= 2, "found again later"


def test_without_catalogue_detections_the_detector_runs_on_the_tagged_images(
    catalogue_run, md_standin, tmp_path
):
    """The configured detector (stand-in weights) finds the catalogue's animals:
    every tagged image reaches it once, the untagged ones never."""
    config = yaml.safe_load((catalogue_run / "config.yaml").read_text())
    config["detect"] = {"detector": str(md_standin)}
    config["identify"] = {
        "catalogue": str(catalogue_run / "tagged"),
        "catalogue_kind": "tagged",
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(tmp_path, "results/catalogue/detections.parquet", config=path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    detections = pd.read_parquet(tmp_path / "results/catalogue/detections.parquet")
    images = pd.read_parquet(tmp_path / "results/catalogue/images.parquet")
    assert set(detections["path"]) == set(images["path"])
    assert f"unsorted/{UNTAGGED}" not in set(images["path"])
    assert len(images) == 14, "the tagged images, each once"
    assert detections["detector_id"].str.startswith(md_standin.name).all()
    assert "rule catalogue_detect:" in done.stdout + done.stderr
