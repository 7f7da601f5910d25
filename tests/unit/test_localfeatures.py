"""Local features on real simulated frames: background masking, verification, cache."""

from __future__ import annotations

from itertools import combinations

import cv2
import numpy as np
import pandas as pd
import pytest

from trapline.identify.catalogue import read_catalogue
from trapline.identify.localfeatures import (
    EMPTY,
    FeatureSettings,
    build_backgrounds,
    extract,
    foreground_mask,
    interior_mask,
    reference_features,
    verify,
)
from trapline.simulate import SeasonSettings, simulate_season

SETTINGS = FeatureSettings()


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    root = tmp_path_factory.mktemp("season")
    simulate_season(root, SeasonSettings.tiny())
    return root


def _frames(root, station="ST01", camera="A"):
    """Images and animal boxes of one camera, as the images and crops tables."""
    truth = pd.read_parquet(root / "truth" / "detections.parquet")
    folder = root / "images" / station / camera
    paths = sorted(
        p.relative_to(root / "images").as_posix()
        for p in folder.glob("*.JPG")
        if cv2.imread(str(p)) is not None
    )
    images = pd.DataFrame(
        {"image_id": paths, "path": paths, "deployment_id": f"{station}__{camera}"}
    )
    boxes = truth[truth["path"].isin(paths)].rename(columns={"path": "image_id"})
    return images, boxes


def test_background_mask_keeps_the_animal_and_drops_the_scene(season, tmp_path):
    images, boxes = _frames(season)
    backgrounds = build_backgrounds(
        images, boxes, season / "images", SETTINGS, tmp_path
    )
    lynx = boxes[boxes["species"] == "Lynx lynx"].iloc[0]
    frame = cv2.cvtColor(cv2.imread(str(season / "images" / lynx["image_id"])), 4)
    h, w = frame.shape[:2]
    infrared = bool(np.abs(frame[..., 0].astype(int) - frame[..., 2]).mean() < 2)
    background = backgrounds[("ST01__A", infrared)]
    x0, y0 = int(lynx["bbox_x"] * w), int(lynx["bbox_y"] * h)
    x1, y1 = (
        int((lynx["bbox_x"] + lynx["bbox_w"]) * w),
        int((lynx["bbox_y"] + lynx["bbox_h"]) * h),
    )
    pad = 8
    region = (slice(y0 - pad, y1 + pad), slice(x0 - pad, x1 + pad))
    s = SETTINGS.background_scale
    bg_region = background[
        int((y0 - pad) * s) : int(np.ceil((y1 + pad) * s)),
        int((x0 - pad) * s) : int(np.ceil((x1 + pad) * s)),
    ]
    box = (pad, pad, pad + x1 - x0, pad + y1 - y0)
    animal = foreground_mask(frame[region], bg_region, box, SETTINGS)
    assert animal.mean() > 0.15
    assert animal[(y1 - y0) // 2, (x1 - x0) // 2]  # the body centre
    assert not animal[:pad].any() and not animal[:, :pad].any()  # outside the box

    # The same place in the scene without the animal: the rendered background.
    scene = np.nan_to_num(background[..., :3]).astype(np.uint8)
    scene = cv2.resize(scene, (w, h), interpolation=cv2.INTER_LINEAR)
    empty = foreground_mask(scene[region], bg_region, box, SETTINGS)
    fallback = interior_mask(empty.shape, box, SETTINGS)
    assert len(extract(scene[region], fallback, box, SETTINGS)) > 10
    assert len(extract(scene[region], empty, box, SETTINGS)) <= 2


def test_same_individual_same_flank_verifies_with_more_inliers(season):
    catalogue = read_catalogue(season / "catalogue")
    refs = reference_features(catalogue, SETTINGS)
    same, different = [], []
    for a, b in combinations(catalogue.itertuples(), 2):
        if a.flank != b.flank:
            continue
        n = verify(refs[a.ref_id], refs[b.ref_id], SETTINGS)
        (same if a.individual_id == b.individual_id else different).append(n)
    assert same and different
    assert np.mean(same) > 3 * max(np.mean(different), 1)
    assert min(same) > max(different)


def test_features_are_cached_and_read_back(season, tmp_path):
    catalogue = read_catalogue(season / "catalogue").head(2)
    first = reference_features(catalogue, SETTINGS, tmp_path)
    assert len(list(tmp_path.glob("ref-*.npz"))) == 2
    again = reference_features(catalogue, SETTINGS, tmp_path)
    for ref_id, features in first.items():
        assert np.array_equal(features.xy, again[ref_id].xy)
        assert np.allclose(features.descriptors, again[ref_id].descriptors, atol=1e-3)
    changed = FeatureSettings(max_keypoints=100)
    reference_features(catalogue, changed, tmp_path)
    assert len(list(tmp_path.glob("ref-*.npz"))) == 4


def test_nothing_to_match_scores_zero(season):
    catalogue = read_catalogue(season / "catalogue").head(1)
    ref = reference_features(catalogue, SETTINGS)[catalogue["ref_id"].iloc[0]]
    assert len(ref) > 50
    assert verify(ref, EMPTY, SETTINGS) == 0
