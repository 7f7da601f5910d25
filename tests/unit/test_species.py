"""Species labels: the unknown rule, sequence smoothing, counts, few-shot votes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trapline.species import (
    UNKNOWN,
    SpeciesSettings,
    final_labels,
    knn_labels,
    read_reference,
    smooth_sequences,
    species_counts,
)
from trapline.species.labels import SmoothingSettings
from trapline.species.reference import ReferenceError
from trapline.species.stage import TargetSpeciesError, check_targets, label_boxes


def boxes(rows: list[tuple]) -> pd.DataFrame:
    """(image_id, det_index, category, classifier_species, classifier_conf)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "image_id",
            "det_index",
            "category",
            "classifier_species",
            "classifier_conf",
        ],
    )
    frame["classifier_conf"] = pd.array(frame["classifier_conf"], "Float64")
    return frame


def test_doubtful_or_missing_labels_stay_unknown_never_the_target():
    labelled = final_labels(
        boxes(
            [
                ("a", 0, "animal", "Lynx lynx", 0.49),
                ("a", 1, "animal", None, None),
                ("b", 0, "animal", "Lynx lynx", 0.5),
                ("b", 1, "person", "Homo sapiens", 0.99),
            ]
        ),
        SpeciesSettings(min_conf=0.5),
        "imported",
    )
    assert labelled["species"].tolist() == [UNKNOWN, UNKNOWN, "Lynx lynx", None]
    assert labelled["species_source"].tolist() == ["imported", "none", "imported", None]
    assert pd.isna(labelled["species_conf"].iloc[0])
    assert labelled["species_conf"].iloc[2] == 0.5


def test_classifier_names_map_onto_the_configured_names():
    labelled = final_labels(
        boxes([("a", 0, "animal", "eurasian lynx", 0.9)]),
        SpeciesSettings(names={"eurasian lynx": "Lynx lynx"}),
        "speciesnet",
    )
    assert labelled["species"].tolist() == ["Lynx lynx"]


def sequence(labels: list[tuple[str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sequence_id": "s1",
            "species": [s for s, _ in labels],
            "species_conf": pd.array([c for _, c in labels], "Float64"),
            "species_source": "imported",
        }
    )


def test_a_doubtful_minority_takes_the_sequence_majority():
    smoothed = smooth_sequences(
        sequence([("Lynx lynx", 0.9), ("Lynx lynx", 0.7), ("Vulpes vulpes", 0.6)])
    )
    assert smoothed["species"].tolist() == ["Lynx lynx"] * 3
    assert smoothed["species_source"].tolist() == ["imported", "imported", "sequence"]
    assert smoothed["species_conf"].iloc[2] == pytest.approx(0.8)


def test_a_confident_minority_keeps_its_label():
    smoothed = smooth_sequences(
        sequence([("Lynx lynx", 0.9), ("Lynx lynx", 0.7), ("Vulpes vulpes", 0.95)])
    )
    assert smoothed["species"].tolist()[2] == "Vulpes vulpes"


def test_unknown_is_never_smoothed_into_the_majority():
    smoothed = smooth_sequences(
        sequence([("Lynx lynx", 0.9), ("Lynx lynx", 0.7), (UNKNOWN, None)])
    )
    assert smoothed["species"].tolist()[2] == UNKNOWN


@pytest.mark.parametrize(
    "labels",
    [
        [("Lynx lynx", 0.9), ("Vulpes vulpes", 0.6)],  # one vote is no majority
        [("Lynx lynx", 0.9), ("Lynx lynx", 0.7)] + [("Vulpes vulpes", 0.6)] * 2,  # tie
    ],
)
def test_no_majority_changes_nothing(labels):
    smoothed = smooth_sequences(sequence(labels))
    assert smoothed["species"].tolist() == [s for s, _ in labels]


def test_smoothing_stays_within_a_sequence():
    frame = pd.concat(
        [
            sequence([("Lynx lynx", 0.9), ("Lynx lynx", 0.8)]),
            sequence([("Vulpes vulpes", 0.6)]).assign(sequence_id="s2"),
        ],
        ignore_index=True,
    )
    assert smooth_sequences(frame)["species"].tolist()[2] == "Vulpes vulpes"


def test_label_boxes_smooths_animals_by_their_images_sequences():
    frame = boxes(
        [
            ("a", 0, "animal", "Lynx lynx", 0.9),
            ("b", 0, "animal", "Lynx lynx", 0.8),
            ("c", 0, "animal", "Vulpes vulpes", 0.6),
            ("c", 1, "person", None, None),
        ]
    )
    sequences = pd.Series({"a": "s1", "b": "s1", "c": "s1"})
    out = label_boxes(frame, sequences, SpeciesSettings())
    assert out["species"].tolist() == ["Lynx lynx"] * 3 + [None]
    off = label_boxes(
        frame, sequences, SpeciesSettings(smoothing=SmoothingSettings(enabled=False))
    )
    assert off["species"].tolist()[2] == "Vulpes vulpes"


def test_sequence_count_is_the_most_in_one_image_not_the_sum():
    animals = pd.DataFrame(
        {
            "image_id": ["a", "a", "a", "b", "b", "c"],
            "species": ["Odobenus rosmarus"] * 3
            + ["Odobenus rosmarus"] * 2
            + [UNKNOWN],
        }
    )
    sequences = pd.Series({"a": "s1", "b": "s1", "c": "s2"})
    counts = species_counts(animals, sequences)
    by = counts.set_index(["level", "id", "species"])["count"]
    assert by[("image", "a", "Odobenus rosmarus")] == 3
    assert by[("image", "b", "Odobenus rosmarus")] == 2
    assert by[("sequence", "s1", "Odobenus rosmarus")] == 3
    assert by[("sequence", "s2", UNKNOWN)] == 1
    assert counts["count"].dtype == "int32"


def unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_nearest_references_vote_and_the_share_is_the_probability():
    refs = unit(
        np.array([[1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1], [0, 1, 0], [0, 1, 0.1]])
    )
    species = ["Lynx lynx"] * 3 + ["Vulpes vulpes"] * 2
    crops = unit(np.array([[1, 0, 0], [0, 1, 0.05]]))
    labels = knn_labels(["c1", "c2"], crops, species, refs, k=3)
    assert labels["classifier_species"].tolist() == ["Lynx lynx", "Vulpes vulpes"]
    assert labels["classifier_conf"].iloc[0] == pytest.approx(1.0)
    assert 0.5 < labels["classifier_conf"].iloc[1] < 1.0  # one lynx among 3 voters


def test_a_crop_like_no_reference_gets_no_label():
    refs = unit(np.array([[1, 0, 0], [0, 1, 0]]))
    labels = knn_labels(
        ["c"], unit(np.array([[0, 0, 1.0]])), ["A", "B"], refs, min_similarity=0.3
    )
    assert labels["classifier_species"].tolist() == [None]


def test_reference_folders_name_species_with_underscores_as_spaces(tmp_path):
    for name in ("Lynx_lynx", "Vulpes vulpes"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / name / "1.jpg")
    (tmp_path / "Lynx_lynx" / "notes.txt").write_text("not an image")
    reference = read_reference(tmp_path)
    assert sorted(reference["species"]) == ["Lynx lynx", "Vulpes vulpes"]
    assert (reference["bbox_w"] == 1.0).all()


def test_one_species_alone_is_refused_naming_the_key(tmp_path):
    (tmp_path / "Lynx_lynx").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "Lynx_lynx" / "1.jpg")
    with pytest.raises(ReferenceError, match="species.reference"):
        read_reference(tmp_path)


def test_unknown_backend_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="species.backend"):
        SpeciesSettings(backend="magic")


def test_a_misspelt_target_species_stops_naming_the_label():
    with pytest.raises(TargetSpeciesError, match="'Lynx lynks'.*'Lynx lynx'"):
        check_targets(
            ("Lynx lynks",), {"Lynx lynx", "Vulpes vulpes"}, SpeciesSettings()
        )


def test_a_target_never_seen_is_warned_on_the_terminal(capfd, caplog):
    settings = SpeciesSettings(backend="speciesnet")
    check_targets(("Lynx lynx",), {"eurasian lynx", "red fox"}, settings)
    assert "no animal was labelled 'Lynx lynx'" in caplog.text
    assert "species.names" in capfd.readouterr().err
