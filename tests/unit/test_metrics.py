"""Identification metrics on small hand-made inputs with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from trapline.identify.metrics import identification_metrics, match_truth


def _identities(rows):
    return pd.DataFrame(rows, columns=["crop_id", "individual_id", "is_new"])


def _truth(rows):
    return pd.DataFrame(rows, columns=["crop_id", "true_id", "true_flank"])


def _candidates(ranking):
    rows = [
        (crop, rank, ind)
        for crop, inds in ranking.items()
        for rank, ind in enumerate(inds)
    ]
    return pd.DataFrame(rows, columns=["crop_id", "rank", "individual_id"])


def test_crops_take_the_truth_of_the_overlapping_box():
    crops = pd.DataFrame(
        {
            "crop_id": ["i1-0", "i1-1", "i2-0"],
            "image_id": ["i1", "i1", "i2"],
            "bbox_x": [0.10, 0.60, 0.10],
            "bbox_y": [0.10, 0.10, 0.10],
            "bbox_w": [0.20, 0.20, 0.20],
            "bbox_h": [0.20, 0.20, 0.20],
        }
    )
    images = pd.DataFrame({"image_id": ["i1", "i2"], "path": ["a.JPG", "b.JPG"]})
    truth = pd.DataFrame(
        {
            "path": ["a.JPG", "a.JPG", "b.JPG"],
            "individual_id": ["X", "Y", "Z"],
            "flank": ["left", "right", "left"],
            "bbox_x": [0.11, 0.61, 0.50],  # b.JPG's animal is elsewhere
            "bbox_y": [0.10, 0.11, 0.50],
            "bbox_w": [0.20, 0.20, 0.20],
            "bbox_h": [0.20, 0.20, 0.20],
        }
    )
    matched = match_truth(crops, images, truth)
    assert matched.values.tolist() == [["i1-0", "X", "left"], ["i1-1", "Y", "right"]]


def test_perfect_run_scores_one_and_flanks_of_a_new_animal_may_stay_apart():
    truth = _truth(
        [
            ("k1", "A", "left"), ("k2", "A", "left"), ("k3", "B", "right"),
            ("n1", "U", "left"), ("n2", "U", "left"),
            ("n3", "U", "right"), ("n4", "U", "right"),
            ("n5", "V", "left"),
        ]
    )  # fmt: skip
    identities = _identities(
        [
            ("k1", "A", False), ("k2", "A", False), ("k3", "B", False),
            ("n1", "NEW0001", True), ("n2", "NEW0001", True),
            ("n3", "NEW0002", True), ("n4", "NEW0002", True),  # U's other flank
            ("n5", "NEW0003", True),
        ]
    )  # fmt: skip
    candidates = _candidates({"k1": ["A", "B"], "k2": ["A"], "k3": ["B", "A"]})
    m = identification_metrics(identities, candidates, truth, {"A", "B"})
    assert m["top1"] == m["top5"] == m["baks"] == m["baus"] == 1.0
    assert m["ari"] == 1.0
    assert m["pairwise_precision"] == m["pairwise_recall"] == 1.0
    assert m["clustering_by_flank"]["right"]["n_predicted"] == 1


def test_errors_lower_the_right_scores():
    truth = _truth(
        [
            ("k1", "A", "left"), ("k2", "A", "left"), ("k3", "A", "left"),
            ("k4", "A", "left"), ("k5", "B", "left"),
            ("n1", "U", "left"), ("n2", "U", "left"), ("n3", "V", "left"),
        ]
    )  # fmt: skip
    identities = _identities(
        [
            ("k1", "A", False), ("k2", "A", False), ("k3", "A", False),
            ("k4", "A", False), ("k5", "NEW0009", True),  # B missed: called new
            ("n1", "NEW0001", True), ("n2", "NEW0001", True),
            ("n3", "NEW0001", True),  # V merged into U
        ]
    )  # fmt: skip
    candidates = _candidates(
        {f"k{i}": ["A", "B"] for i in range(1, 5)}
        | {"k5": ["A", "C", "D", "E", "F", "B"]}
    )
    m = identification_metrics(identities, candidates, truth, {"A", "B"})
    assert m["top1"] == pytest.approx(4 / 5)
    assert m["top5"] == pytest.approx(4 / 5)  # B is sixth for k5
    assert m["baks"] == pytest.approx((1.0 + 0.0) / 2)  # per individual, not crop
    assert m["baus"] == 1.0
    assert m["ari"] == 0.0
    assert m["pairwise_precision"] == pytest.approx(1 / 3)
    assert m["pairwise_recall"] == 1.0
