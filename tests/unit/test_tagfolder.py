"""A catalogue from a folder of tagged images: the tags read by real exiftool,
each tag paired with an animal box, a tag without a box listed with its reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_config import SCHEMA, demo
from test_keywords import exiftool

from conftest import jpeg_bytes, write
from trapline.config import ConfigError, check_config, check_season
from trapline.detect.settings import Thresholds
from trapline.identify.catalogue import CatalogueError, read_catalogue
from trapline.identify.tagfolder import (
    CatalogueInputs,
    CatalogueOutputs,
    catalogue_images_stage,
    catalogue_table_stage,
    place_tags,
)
from trapline.inventory.keywords import TagSettings, flank_value, read_flanks
from trapline.tables import SHARD_DETECTIONS


@pytest.mark.parametrize(
    "text,side",
    [("left", "left"), (" Right ", "right"), ("L", "left"), ("right flank", "right"),
     ("both", None), ("", None)],
)  # fmt: skip
def test_a_flank_tag_names_a_side_or_nothing(text, side):
    assert flank_value(text) == side


def test_flank_tags_follow_the_configured_path():
    tags = {"HierarchicalSubject": ["Individual|LYX1", "Seite|links", "Flank|left"]}
    assert read_flanks(tags, TagSettings()) == ["left"]
    assert read_flanks(tags, TagSettings(flank="seite")) == ["links"]
    with pytest.raises(ValueError, match="'tags.individual' and 'tags.flank'"):
        TagSettings(flank="individual")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Last year's identified images, in a programme's own folders."""
    root = tmp_path / "identified"
    one = write(root / "2025/spring/IMG_0001.JPG", jpeg_bytes(seed=1))
    exiftool(one, "-XMP-lr:HierarchicalSubject+=Individual|LYX012",
             "-XMP-lr:HierarchicalSubject+=Flank|Left")  # fmt: skip
    two = write(root / "2025/autumn/IMG_0002.JPG", jpeg_bytes(seed=2))
    exiftool(two, "-XMP-digiKam:TagsList+=Individual/LYX013",
             "-XMP-digiKam:TagsList+=Individual/LYX014")  # fmt: skip
    empty = write(root / "2025/autumn/IMG_0003.JPG", jpeg_bytes(seed=3))
    exiftool(empty, "-IPTC:Keywords+=Individual|LYX015")
    write(root / "untagged/IMG_0004.JPG", jpeg_bytes(seed=4))
    return root


def boxes(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    """Detector rows (image, box number, left edge, width) in the shard format."""
    frame = pd.DataFrame(
        [
            {"image_id": i, "det_index": d, "category": "animal", "conf": 0.9,
             "bbox_x": x, "bbox_y": 0.1, "bbox_w": w, "bbox_h": 0.5}
            for i, d, x, w in rows
        ]
    )  # fmt: skip
    for column in SHARD_DETECTIONS.names:
        if column not in frame:
            frame[column] = None
    return frame[SHARD_DETECTIONS.names]


def test_tagged_images_become_a_catalogue_table(folder, tmp_path):
    images_out = tmp_path / "results/catalogue/images.parquet"
    catalogue_images_stage(folder, TagSettings(), images_out)
    images = pd.read_parquet(images_out).set_index("path")
    assert sorted(images.index) == [
        "2025/autumn/IMG_0002.JPG",
        "2025/autumn/IMG_0003.JPG",
        "2025/spring/IMG_0001.JPG",
    ], "the untagged image is no reference"
    assert images.loc["2025/spring/IMG_0001.JPG", "tag_flank"] == "left"
    assert images.loc["2025/autumn/IMG_0002.JPG", "tag_individuals"] == "LYX013|LYX014"
    ids = images["image_id"]
    detections = boxes(
        [
            (ids["2025/spring/IMG_0001.JPG"], 0, 0.1, 0.1),
            (ids["2025/spring/IMG_0001.JPG"], 1, 0.5, 0.3),  # the largest
            (ids["2025/autumn/IMG_0002.JPG"], 0, 0.6, 0.3),  # right of the other
            (ids["2025/autumn/IMG_0002.JPG"], 1, 0.1, 0.2),
        ]
    )
    detections_in = tmp_path / "detections.parquet"
    SHARD_DETECTIONS.write(detections, detections_in)
    out = CatalogueOutputs(
        tmp_path / "results/catalogue/catalogue.csv",
        tmp_path / "results/catalogue/not_placed.csv",
    )
    catalogue_table_stage(
        CatalogueInputs(images_out, detections_in, folder),
        Thresholds(),
        out,
    )
    catalogue = read_catalogue(out.catalogue).set_index("individual_id")
    assert sorted(catalogue.index) == ["LYX012"]
    assert catalogue.loc["LYX012", "bbox_x"] == 0.5  # the largest box
    assert catalogue.loc["LYX012", "flank"] == "left"
    assert (
        Path(catalogue.loc["LYX012", "path"])
        == (folder / "2025/spring/IMG_0001.JPG").resolve()
    )
    not_placed = pd.read_csv(out.not_placed)
    which = (
        "2 individuals tagged on 2 animal boxes: which box is which is not in the tags"
    )
    assert not_placed.to_dict("records") == [
        {
            "path": "2025/autumn/IMG_0002.JPG",
            "individual_id": name,
            "reason": "several_individuals",
            "detail": which,
        }
        for name in ("LYX013", "LYX014")
    ] + [
        {
            "path": "2025/autumn/IMG_0003.JPG",
            "individual_id": "LYX015",
            "reason": "no_animal_box",
            "detail": "the detector found no animal above its threshold",
        }
    ]


def test_several_names_on_one_image_are_listed_not_guessed():
    images = pd.DataFrame(
        {"path": ["a.jpg"], "image_id": ["i1"], "tag_individuals": ["A|B"],
         "tag_flank": [None]}
    )  # fmt: skip
    table, lost = place_tags(images, boxes([("i1", 0, 0.2, 0.2)]), {})
    assert table.empty
    assert lost["individual_id"].tolist() == ["A", "B"]
    assert set(lost["reason"]) == {"several_individuals"}
    _, lost = place_tags(images, boxes([]).iloc[:0], {"i1": "not listed in md.json"})
    assert set(lost["reason"]) == {"not_detected"}


def test_a_catalogue_where_no_tag_found_a_box_says_why_in_the_error(tmp_path):
    images = tmp_path / "images.parquet"
    pd.DataFrame(
        {"path": ["a.jpg"], "image_id": ["i1"], "tag_individuals": ["A"],
         "tag_flank": [None]}
    ).to_parquet(images)  # fmt: skip
    detections = tmp_path / "detections.parquet"
    SHARD_DETECTIONS.write(boxes([("i1", 0, 0.2, 0.2)]).iloc[:0], detections)
    out = CatalogueOutputs(tmp_path / "catalogue.csv", tmp_path / "not_placed.csv")
    # Snakemake deletes not_placed.csv when the rule fails: the why is in the error.
    with pytest.raises(CatalogueError, match=r"\{'no_animal_box': 1\}.*a.jpg: 'A'"):
        catalogue_table_stage(
            CatalogueInputs(images, detections, tmp_path), Thresholds(), out
        )


def test_a_folder_without_individual_tags_is_named_with_the_fix(tmp_path):
    write(tmp_path / "ST01/IMG_0001.JPG", jpeg_bytes(seed=1))
    with pytest.raises(CatalogueError, match="catalogue_kind: references"):
        catalogue_images_stage(tmp_path, TagSettings(), tmp_path / "out.parquet")


def test_a_tagged_catalogue_needs_a_folder_and_detections(tmp_path):
    config = demo()
    config["identify"] = {"catalogue": "cat", "catalogue_kind": "tagged"}
    with pytest.raises(ConfigError, match="set 'identify.catalogue_detections'"):
        check_config(config, SCHEMA)
    config["identify"]["catalogue_detections"] = "md.json"
    check_config(config, SCHEMA)
    table = tmp_path / "catalogue.csv"
    table.write_text("path,individual_id\n")
    config |= {
        "identify": {"catalogue": str(table), "catalogue_kind": "tagged",
                     "catalogue_detections": str(tmp_path / "md.json")},
    }  # fmt: skip
    del config["simulate"]
    with pytest.raises(ConfigError) as err:
        check_season(config)
    assert "reads a folder of tagged images" in str(err.value)
    assert "'identify.catalogue_detections'" in str(err.value)
