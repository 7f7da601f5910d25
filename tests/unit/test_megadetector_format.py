"""MegaDetector batch JSON: import with path matching, export valid for MegaDetector."""

import json

import pandas as pd
import pytest
from megadetector.postprocessing.validate_batch_results import (
    ValidateBatchResultsOptions,
    validate_batch_results,
)

from conftest import read_precomputed
from trapline.detect.megadetector import (
    PrecomputedError,
    import_precomputed,
    write_batch_json,
)
from trapline.quarantine import Reason

IMAGES = pd.DataFrame(
    {
        "image_id": ["a", "b", "c", "d"],
        "path": ["ST01/A/1.JPG", "ST01/A/2.JPG", "ST02/A/1.JPG", "ST02/A/2.JPG"],
    }
)


def md_file(tmp_path, images, classes=None):
    data = {
        "info": {"format_version": "1.4"},
        "detection_categories": {"1": "animal", "2": "person", "3": "vehicle"},
        "images": images,
    }
    if classes:
        data["classification_categories"] = classes
    path = tmp_path / "md.json"
    path.write_text(json.dumps(data))
    return path


def test_paths_match_whatever_root_they_were_written_against(tmp_path):
    path = md_file(
        tmp_path,
        [
            {"file": "ST01/A/1.JPG", "detections": []},
            {"file": "/mnt/cards/season/ST01/A/2.JPG", "detections": []},
            {"file": "season\\ST02\\A\\1.JPG", "detections": []},
        ],
    )
    raw, failed = read_precomputed(path, IMAGES)
    assert [(q.path, q.reason) for q in failed] == [
        ("ST02/A/2.JPG", Reason.NOT_IN_PRECOMPUTED)
    ]
    assert raw.empty


def test_boxes_categories_classifications_and_failures(tmp_path):
    det = {"category": "1", "conf": 0.9, "bbox": [0.1, 0.2, 0.3, 0.4]}
    low = {"category": "2", "conf": 0.3, "bbox": [0.5, 0.5, 0.1, 0.2]}
    path = md_file(
        tmp_path,
        [
            {
                "file": "ST01/A/1.JPG",
                "detections": [
                    low,
                    det | {"classifications": [["0", 0.2], ["1", 0.7]]},
                ],
            },  # noqa: E501
            {
                "file": "ST01/A/2.JPG",
                "detections": None,
                "failure": "image access failure",
            },  # noqa: E501
            {"file": "ST02/A/1.JPG", "detections": []},
            {"file": "ST02/A/2.JPG", "detections": [det]},
        ],
        classes={"0": "Vulpes vulpes", "1": "Lynx lynx"},
    )
    raw, failed = read_precomputed(path, IMAGES)
    first = raw[raw["image_id"] == "a"].set_index("det_index")
    assert first.loc[0, "category"] == "animal" and first.loc[0, "conf"] == 0.9
    assert first.loc[0, "classifier_species"] == "Lynx lynx"
    assert first.loc[0, "classifier_conf"] == 0.7
    assert first.loc[1, "category"] == "person"
    assert pd.isna(first.loc[1, "classifier_species"])
    assert list(first.loc[0, ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]]) == [
        0.1,
        0.2,
        0.3,
        0.4,
    ]
    assert [(q.path, q.reason) for q in failed] == [
        ("ST01/A/2.JPG", Reason.DETECTOR_FAILED)
    ]


def test_not_a_megadetector_file_names_the_key(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(PrecomputedError, match="detect.precomputed"):
        read_precomputed(path, IMAGES)
    # A tagged catalogue's file is named by its own key.
    with pytest.raises(PrecomputedError, match="'identify.catalogue_detections' = "):
        import_precomputed(
            path, tmp_path / "out.parquet", "identify.catalogue_detections"
        )


def test_written_json_passes_megadetectors_own_validator(tmp_path):
    boxes = pd.DataFrame(
        {
            "image_id": ["a", "a", "c"],
            "det_index": [0, 1, 0],
            "category": ["animal", "person", "vehicle"],
            "conf": [1.0, 0.5, 0.25],
            "bbox_x": [0.1, 0.2, 0.3],
            "bbox_y": [0.1, 0.2, 0.3],
            "bbox_w": [0.2, 0.2, 0.2],
            "bbox_h": [0.2, 0.2, 0.2],
            "species": ["Lynx lynx", None, None],
            "species_conf": [0.8, None, None],
        }
    )
    out = tmp_path / "detections.json"
    write_batch_json(out, IMAGES, boxes, "md_v5a.0.1.pt")
    options = ValidateBatchResultsOptions()
    options.raise_errors = True
    report = validate_batch_results(str(out), options)["validation_results"]
    assert report["errors"] == []
    data = json.loads(out.read_text())
    assert [i["file"] for i in data["images"]] == sorted(IMAGES["path"])
    lynx = data["images"][0]["detections"][0]
    assert (
        data["classification_categories"][lynx["classifications"][0][0]] == "Lynx lynx"
    )
    assert isinstance(lynx["conf"], float)
    # Round trip: what we write, we read back the same.
    again, failed = read_precomputed(out, IMAGES)
    assert failed == [] and len(again) == 3
    assert again["classifier_species"].tolist() == ["Lynx lynx", None, None]
    assert again.sort_values(["image_id", "det_index"])["category"].tolist() == [
        "animal",
        "person",
        "vehicle",
    ]


def test_identical_entries_of_a_merged_file_count_once(tmp_path, caplog):
    det = {"category": "1", "conf": 0.9, "bbox": [0.1, 0.2, 0.3, 0.4]}
    other = {"category": "1", "conf": 0.8, "bbox": [0.5, 0.2, 0.3, 0.4]}
    path = md_file(
        tmp_path,
        [
            {"file": "ST01/A/1.JPG", "detections": [det, other]},
            {"file": "ST01/A/1.JPG", "detections": [other, det]},  # same, reordered
            {"file": "/cards/season/ST01/A/1.JPG", "detections": [det, other]},
            {"file": "ST01/A/2.JPG", "detections": []},
        ],
    )
    raw, _ = read_precomputed(path, IMAGES)
    assert raw.groupby("image_id").size().to_dict() == {"a": 2}
    assert "lists 1 entries twice" in caplog.text


def test_conflicting_entries_for_one_image_stop_naming_it(tmp_path):
    det = {"category": "1", "conf": 0.9, "bbox": [0.1, 0.2, 0.3, 0.4]}
    path = md_file(
        tmp_path,
        [
            {"file": "ST01/A/1.JPG", "detections": [det]},
            {"file": "ST01/A/1.JPG", "detections": []},
        ],
    )
    with pytest.raises(PrecomputedError, match="lists 'ST01/A/1.JPG'.*twice"):
        read_precomputed(path, IMAGES)


def test_one_image_under_two_spellings_with_different_boxes_stops(tmp_path):
    det = {"category": "1", "conf": 0.9, "bbox": [0.1, 0.2, 0.3, 0.4]}
    path = md_file(
        tmp_path,
        [
            {"file": "ST01/A/1.JPG", "detections": [det]},
            {"file": "/cards/season/ST01/A/1.JPG", "detections": []},
        ],
    )
    with pytest.raises(PrecomputedError, match="image 'ST01/A/1.JPG' twice"):
        read_precomputed(path, IMAGES)
