"""Thresholds, empty images, counts per image and sequence, privacy."""

import pandas as pd

from trapline.detect.boxes import (
    assign_sequences,
    image_summary,
    kept_boxes,
    privacy_holds,
    sequence_summary,
)
from trapline.detect.settings import PrivacySettings, Thresholds
from trapline.quarantine import Reason

TZ = "Etc/GMT-1"


def images():
    times = ["10:00:00", "10:00:01", "10:00:02", "10:05:00", "10:00:01"]
    return pd.DataFrame(
        {
            "image_id": ["i1", "i2", "i3", "i4", "j1"],
            "path": ["A/1.JPG", "A/2.JPG", "A/3.JPG", "A/4.JPG", "B/1.JPG"],
            "deployment_id": ["S1__A"] * 4 + ["S1__B"],
            "station": ["S1"] * 5,
            "camera": ["A"] * 4 + ["B"],
            "datetime": pd.to_datetime([f"2026-03-05 {t}" for t in times]).tz_localize(
                TZ
            ),
        }
    )


def boxes():
    rows = [
        ("i1", 0, "animal", 0.9),
        ("i2", 0, "animal", 0.8),
        ("i2", 1, "animal", 0.7),
        ("i2", 2, "animal", 0.1),  # below the animal threshold
        ("i3", 0, "person", 0.5),
        ("i4", 0, "vehicle", 0.3),  # below a strict vehicle threshold
        ("j1", 0, "animal", 0.95),
    ]
    frame = pd.DataFrame(rows, columns=["image_id", "det_index", "category", "conf"])
    for c in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"):
        frame[c] = 0.1
    return frame


THRESHOLDS = Thresholds(animal=0.2, person=0.4, vehicle=0.6)


def test_thresholds_are_per_category():
    kept = kept_boxes(boxes(), THRESHOLDS)
    assert sorted(zip(kept["image_id"], kept["category"], strict=True)) == [
        ("i1", "animal"),
        ("i2", "animal"),
        ("i2", "animal"),
        ("i3", "person"),
        ("j1", "animal"),
    ]


def test_sequences_split_on_gap_and_deployment_with_stable_ids():
    seq = assign_sequences(images(), gap_s=30)
    assert seq.tolist() == [
        "S1__A:20260305T100000",
        "S1__A:20260305T100000",
        "S1__A:20260305T100000",
        "S1__A:20260305T100500",
        "S1__B:20260305T100001",
    ]


def test_empty_images_counts_and_sequence_maximum():
    summary = image_summary(images(), kept_boxes(boxes(), THRESHOLDS), 30)
    by = summary.set_index("image_id")
    assert by["n_animals"].to_dict() == {"i1": 1, "i2": 2, "i3": 0, "i4": 0, "j1": 1}
    assert by["is_empty"].to_dict() == {
        "i1": False,
        "i2": False,
        "i3": False,
        "i4": True,
        "j1": False,
    }
    sequences = sequence_summary(images(), summary).set_index("sequence_id")
    first = sequences.loc["S1__A:20260305T100000"]
    assert first["max_animals"] == 2 and first["n_images"] == 3 and first["has_person"]
    assert sequences.loc["S1__A:20260305T100500", "max_animals"] == 0


def test_privacy_switch_holds_images_with_people():
    kept = kept_boxes(boxes(), THRESHOLDS)
    assert privacy_holds(images(), kept, PrivacySettings()) == []
    strict = PrivacySettings(drop_person_images=True)
    held = privacy_holds(images(), kept, strict)
    assert [(q.path, q.reason) for q in held] == [("A/3.JPG", Reason.PERSON_PRIVACY)]
