"""Species and individuals people tagged in their images, read by the inventory
through its one exiftool call; the images are tagged here by exiftool itself."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import jpeg_bytes, write
from trapline.inventory.files import walk_season
from trapline.inventory.keywords import TagSettings, read_keywords
from trapline.inventory.probe import probe_files
from trapline.inventory.settings import InventorySettings
from trapline.inventory.stations import read_stations
from trapline.inventory.verdict import build_inventory

STATIONS = (
    "Station,Camera,utm_x,utm_y,Setup_date,Retrieval_date\n"
    "ST01,A,600000,5150000,2026-03-01,2026-03-30\n"
)


def exiftool(path: Path, *assignments: str) -> None:
    """Tag ``path`` as a person's photo software would, with real exiftool."""
    found = shutil.which("exiftool")
    if found is None:
        pytest.fail("exiftool not found: ./install.sh installs it (apt exiftool)")
    done = subprocess.run(
        [found, "-q", "-overwrite_original", *assignments, str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def tagged(tmp_path: Path) -> Path:
    root = tmp_path / "images/ST01/A"
    lightroom = write(root / "IMG_0001.JPG", jpeg_bytes(seed=1))
    exiftool(
        lightroom,
        "-XMP-lr:HierarchicalSubject+=Individual|LYX012",
        "-XMP-lr:HierarchicalSubject+=Species|lynx  LYNX",
    )
    digikam = write(root / "IMG_0002.JPG", jpeg_bytes(seed=2))
    exiftool(
        digikam,
        "-XMP-digiKam:TagsList+=Animals/Individual/LYX013",
        "-IPTC:Keywords+= individual | lyx014 ",
        "-IPTC:Keywords+=Individual|LYX013",  # the same animal twice
        "-XMP-dc:Subject+=Species|Lynx lynx",
    )
    keywords = write(root / "IMG_0003.JPG", jpeg_bytes(seed=3))
    exiftool(keywords, "-XMP-dc:Subject+=Species|Vulpes vulpes", "-XMP-dc:Subject+=fox")
    write(root / "IMG_0004.JPG", jpeg_bytes(seed=4))
    (tmp_path / "stations.csv").write_text(STATIONS)
    return tmp_path


def inventory(season: Path, settings: InventorySettings | None = None):
    settings = settings or InventorySettings(
        str(season / "images"), str(season / "stations.csv"), "Etc/GMT-1"
    )
    probes = probe_files(walk_season(season / "images"), season / "images", 1)
    deployments = read_stations(season / "stations.csv", "Etc/GMT-1")
    images, quarantine = build_inventory(probes, settings, deployments)
    assert quarantine.empty
    return images.set_index("path")


def test_keywords_become_tag_columns(tagged):
    images = inventory(tagged)
    species = images["tag_species"].to_dict()
    individuals = images["tag_individuals"].to_dict()
    assert species == {
        "ST01/A/IMG_0001.JPG": "Lynx lynx",
        "ST01/A/IMG_0002.JPG": "Lynx lynx",
        "ST01/A/IMG_0003.JPG": "Vulpes vulpes",
        "ST01/A/IMG_0004.JPG": None,
    }
    assert individuals == {
        "ST01/A/IMG_0001.JPG": "LYX012",
        "ST01/A/IMG_0002.JPG": "LYX013|lyx014",
        "ST01/A/IMG_0003.JPG": None,
        "ST01/A/IMG_0004.JPG": None,
    }


def test_camtrapr_style_tag_names_are_configurable(tagged):
    exiftool(
        tagged / "images/ST01/A/IMG_0004.JPG",
        "-XMP-lr:HierarchicalSubject+=ID|B132",
        "-XMP-lr:HierarchicalSubject+=Art|Felis silvestris",
    )
    base = InventorySettings(
        str(tagged / "images"), str(tagged / "stations.csv"), "Etc/GMT-1"
    )
    settings = replace(base, tags=TagSettings(species="art", individual=" id "))
    images = inventory(tagged, settings)
    assert images.loc["ST01/A/IMG_0004.JPG", "tag_individuals"] == "B132"
    assert images.loc["ST01/A/IMG_0004.JPG", "tag_species"] == "Felis silvestris"
    assert images["tag_individuals"].notna().sum() == 1


def test_a_keyword_without_a_value_or_path_is_ignored():
    tags = {"HierarchicalSubject": ["Individual", "Species|", "LYX012"], "Keywords": 7}
    assert read_keywords(tags, TagSettings()) == ([], [])


def test_the_two_paths_must_differ():
    with pytest.raises(ValueError, match="tags.species"):
        TagSettings(species="ID", individual="id")


def test_a_persons_species_tag_wins_over_the_machine():
    import pandas as pd

    from trapline.species.tags import person_labels

    boxes = pd.DataFrame(
        {
            "image_id": ["a", "a", "b", "b", "c", "d"],
            "category": ["animal", "person", "animal", "animal", "animal", "animal"],
            "species": ["Vulpes vulpes", None, "Lynx lynx", "Vulpes vulpes", "x", "y"],
            "species_conf": [0.6, None, 0.7, 0.8, 0.9, 0.9],
            "species_source": ["imported", None, "imported", "imported", "i", "i"],
        }
    )
    images = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "d"],
            "tag_species": ["Lynx lynx", "Lynx lynx|Felis silvestris", None, None],
            "folder_species": [None, None, "Martes martes", None],
        }
    )
    out = person_labels(boxes, images, "imported")
    out = out.astype(object).where(out.notna(), None)
    assert out["species"].tolist() == [
        "Lynx lynx",
        None,
        "Lynx lynx",
        "Vulpes vulpes",
        "x",
        "y",
    ]
    assert out["species_source"].tolist() == ["tag", None, "tag", "imported", "i", "i"]
    folders = person_labels(boxes, images, "folders")
    assert folders.loc[4, "species"] == "Martes martes"
    assert folders.loc[4, "species_source"] == "folder"
    assert folders.loc[0, "species_source"] == "tag"  # the tag still wins


def test_tagged_individuals_pair_with_target_crops():
    import pandas as pd

    from trapline.identify.tags import tagged_crops

    crops = pd.DataFrame(
        {
            "crop_id": ["a-0", "a-1", "b-0", "b-1", "c-0", "d-0"],
            "image_id": ["a", "a", "b", "b", "c", "d"],
            "species": ["Lynx lynx"] * 5 + ["Vulpes vulpes"],
            "bbox_x": [0.1, 0.5, 0.6, 0.1, 0.2, 0.2],
            "bbox_w": [0.1, 0.3, 0.2, 0.2, 0.2, 0.2],
            "bbox_h": [0.1, 0.3, 0.2, 0.2, 0.2, 0.2],
        }
    )
    images = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "d", "e"],
            "path": ["A/1.JPG", "A/2.JPG", "A/3.JPG", "A/4.JPG", "A/5.JPG"],
            "tag_individuals": ["lyx012", "LYX013|LYX014", "LYX015|LYX016", "X1", None],
        }
    )
    tagged = tagged_crops(crops, images, {"LYX012"}, ("Lynx lynx",))
    assert tagged.forced == {
        "a-1": "LYX012",  # the largest crop; the catalogue's spelling
        "b-1": "LYX013",  # as many as crops: left to right
        "b-0": "LYX014",
        "c-0": "LYX015",
    }
    assert [line.split(":")[0] for line in tagged.unpaired] == ["A/3.JPG", "A/4.JPG"]
    assert "'LYX016'" in tagged.unpaired[0] and "'X1'" in tagged.unpaired[1]


def test_species_folders_label_their_images(tmp_path):
    root = tmp_path / "images/ST01/A"
    write(root / "Lynx_lynx/IMG_0001.JPG", jpeg_bytes(seed=1))
    write(root / "vulpes vulpes/IMG_0002.JPG", jpeg_bytes(seed=2))
    (tmp_path / "stations.csv").write_text(STATIONS)
    settings = InventorySettings(
        str(tmp_path / "images"),
        str(tmp_path / "stations.csv"),
        "Etc/GMT-1",
        layout="{station}/{camera}/{species}",
    )
    images = inventory(tmp_path, settings)
    assert images["folder_species"].to_dict() == {
        "ST01/A/Lynx_lynx/IMG_0001.JPG": "Lynx lynx",
        "ST01/A/vulpes vulpes/IMG_0002.JPG": "Vulpes vulpes",
    }
    assert set(images["station"]) == {"ST01"} and set(images["camera"]) == {"A"}


def test_camtrapr_renamed_images_without_station_folders(tmp_path):
    root = tmp_path / "images"
    write(root / "ST01__A__2026-03-05__22-10-00(1).JPG", jpeg_bytes(seed=1))
    write(root / "ST01__A__2026-03-05__22-10-00(2).JPG", jpeg_bytes(seed=2))
    (tmp_path / "stations.csv").write_text(STATIONS)
    images = inventory(tmp_path)
    assert (
        images[["station", "camera", "deployment_id"]].values.tolist()
        == [["ST01", "A", "ST01__A"]] * 2
    )
