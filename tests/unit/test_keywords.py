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


def test_an_individual_tag_makes_the_only_animal_box_a_target_animal():
    import pandas as pd

    from trapline.species.tags import person_labels

    boxes = pd.DataFrame(
        {
            "image_id": ["a", "b", "b", "c", "d"],
            "category": ["animal", "animal", "animal", "animal", "animal"],
            "species": ["Vulpes vulpes", "unknown", "Vulpes vulpes", "unknown", "x"],
            "species_conf": [0.6, None, 0.8, None, 0.9],
            "species_source": ["imported", None, "imported", None, "i"],
        }
    )
    images = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "d"],
            "tag_individuals": ["LYX012", "LYX013", None, "LYX014"],
            "tag_species": [None, None, None, "Martes martes"],
        }
    )
    out = person_labels(boxes, images, "tags", ("Lynx lynx",))
    # a: the classifier's fox is the tagged lynx; b: two boxes, which one is
    # not in the tags; c: untagged; d: the person's species tag stands.
    assert out["species"].tolist() == [
        "Lynx lynx", "unknown", "Vulpes vulpes", "unknown", "Martes martes"
    ]  # fmt: skip
    assert out.loc[0, "species_source"] == "tag"
    two = person_labels(boxes, images, "tags", ("Lynx lynx", "Lynx pardinus"))
    assert two.loc[0, "species"] == "Vulpes vulpes"  # which target is not in the tag


def test_a_tag_is_forced_only_where_it_names_its_box_without_doubt():
    import pandas as pd

    from trapline.identify.tags import pair_by_scores, tagged_crops

    crops = pd.DataFrame(
        {
            "crop_id": ["a-0", "b-0", "b-1", "c-0", "c-1", "d-0", "e-0"],
            "image_id": ["a", "b", "b", "c", "c", "d", "e"],
            "species": ["Lynx lynx"] * 6 + ["Vulpes vulpes"],
            "bbox_x": [0.5, 0.6, 0.1, 0.2, 0.6, 0.2, 0.2],
            "bbox_w": [0.3, 0.2, 0.2, 0.2, 0.3, 0.2, 0.2],
            "bbox_h": [0.3, 0.2, 0.2, 0.2, 0.3, 0.2, 0.2],
        }
    )
    images = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "d", "e", "f"],
            "path": ["A/1.JPG", "A/2.JPG", "A/3.JPG", "A/4.JPG", "A/5.JPG", "A/6.JPG"],
            "tag_individuals": [
                "lyx012",
                "LYX013|LYX014",
                "LYX015",
                "X1|X2",
                "X3",
                None,
            ],
        }
    )
    tagged = tagged_crops(crops, images, {"LYX012"}, ("Lynx lynx",))
    # Only one name on one box is certain; the catalogue's spelling is kept.
    assert tagged.forced == {"a-0": "LYX012"}
    assert tagged.names == {"LYX012", "LYX013", "LYX014", "LYX015", "X1", "X2"}
    # Two names on two boxes, one name on two, more names than boxes: paired
    # after identification; no target box at all: listed with file and why.
    assert [(path, names) for path, names, _ in tagged.ambiguous] == [
        ("A/2.JPG", ("LYX013", "LYX014")),
        ("A/3.JPG", ("LYX015",)),
        ("A/4.JPG", ("X1", "X2")),
    ]
    assert len(tagged.unpaired) == 1 and tagged.unpaired[0].startswith("A/5.JPG")
    assert "'X3'" in tagged.unpaired[0]
    # The machine's matches among the tagged names pair them, surest first; the
    # last by elimination; a name it never matched on a choice of boxes stays open.
    candidates = pd.DataFrame(
        {
            "crop_id": ["b-0", "b-1", "b-0", "c-0", "d-0"],
            "individual_id": ["LYX013", "LYX013", "LYX099", "LYX015", "X9"],
            "probability": [0.4, 0.9, 0.95, 0.2, 0.8],
        }
    )
    paired = pair_by_scores(tagged, candidates, reviewed={})
    assert paired.forced == {
        "a-0": "LYX012",
        "b-1": "LYX013",  # 0.9 beats b-0's 0.4; LYX099 was not tagged
        "b-0": "LYX014",  # by elimination
        "c-0": "LYX015",
    }
    assert [line.split(":")[0] for line in paired.unpaired] == [
        "A/5.JPG", "A/4.JPG", "A/4.JPG"
    ]  # fmt: skip
    assert "which box it is stays open" in paired.unpaired[1]
    reviewed = pair_by_scores(tagged, candidates, reviewed={"b-1": "LYX777"})
    assert reviewed.forced["b-0"] == "LYX013"  # a review decision is the later word
    assert "b-1" not in reviewed.forced


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
