"""Local features on real simulated frames: background masking, verification, cache."""

from __future__ import annotations

import logging
from itertools import combinations

import cv2
import numpy as np
import pandas as pd
import pytest

from trapline.identify.background import build_backgrounds, foreground_mask
from trapline.identify.cache import save_npz
from trapline.identify.catalogue import read_catalogue
from trapline.identify.features import crop_features, reference_features
from trapline.identify.localfeatures import (
    EMPTY,
    FeatureSettings,
    extract,
    interior_mask,
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
    background = backgrounds[("ST01__A", (w, h), infrared)]
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


def _copy_frames(season, images, root, size_from, size):
    """The frames under ``root``, those from ``size_from`` on at ``size``: the
    camera was replaced mid-season by one of another resolution."""
    sizes = {}
    for rel in images["path"]:
        frame = cv2.imread(str(season / "images" / rel))
        if rel >= size_from:
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        # imencode, not imwrite: YOLOv5 (imported by other tests of the session)
        # replaces cv2.imwrite with a two-argument function.
        ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
        (root / rel).write_bytes(data.tobytes())
        sizes[rel] = (frame.shape[1], frame.shape[0])
    return images.assign(
        width=images["path"].map(lambda p: sizes[p][0]),
        height=images["path"].map(lambda p: sizes[p][1]),
    )


def _cut(root, frame_path, box, out, padding=0.1):
    """A crop of ``box`` cut from the frame, as the crops table describes it."""
    frame = cv2.imread(str(root / frame_path))
    h, w = frame.shape[:2]
    x, y, bw, bh = box
    left, top = (
        max(0, round((x - bw * padding) * w)),
        max(0, round((y - bh * padding) * h)),
    )
    right = min(w, round((x + bw * (1 + padding)) * w))
    bottom = min(h, round((y + bh * (1 + padding)) * h))
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "crop.jpg"), frame[top:bottom, left:right])
    return {
        "crop_id": "c1",
        "image_id": frame_path,
        "crop_path": "crop.jpg",
        "bbox_x": x,
        "bbox_y": y,
        "bbox_w": bw,
        "bbox_h": bh,
        "crop_left": left,
        "crop_top": top,
        "crop_width": right - left,
        "crop_height": bottom - top,
    }


def test_a_camera_replaced_mid_season_gets_a_background_per_frame_size(
    season, tmp_path
):
    images, boxes = _frames(season)
    small, big = (640, 360), (960, 540)
    root = tmp_path / "images"
    images = _copy_frames(season, images, root, "ST01/A/IMG_00011.JPG", big)
    assert set(zip(images["width"], images["height"], strict=True)) == {small, big}
    backgrounds = build_backgrounds(images, boxes, root, SETTINGS, tmp_path / "cache")
    assert set(backgrounds) == {
        ("ST01__A", small, False),
        ("ST01__A", small, True),
        ("ST01__A", big, True),
    }
    assert backgrounds[("ST01__A", big, True)].shape == (135, 240, 3)
    again = build_backgrounds(images, boxes, root, SETTINGS, tmp_path / "cache")
    for key, background in backgrounds.items():
        assert np.array_equal(again[key], background, equal_nan=True)

    # A crop of a new-camera frame is masked with the background of its size.
    lynx = boxes[
        (boxes["species"] == "Lynx lynx")
        & (boxes["image_id"] >= "ST01/A/IMG_00011.JPG")
    ].iloc[0]
    box = tuple(lynx[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]])
    crops = pd.DataFrame([_cut(root, lynx["image_id"], box, tmp_path / "crops")])

    def features(known):
        return crop_features(crops, images, tmp_path / "crops", known, SETTINGS)["c1"]

    masked = features(backgrounds)
    interior = features({})  # no background: the interior of the box
    other_size = features({k: v for k, v in backgrounds.items() if k[1] != big})
    assert np.array_equal(other_size.xy, interior.xy)  # never another size's
    assert 0 < len(masked) < len(interior)  # the scenery's keypoints dropped


def test_a_torn_background_cache_is_recomputed(season, tmp_path, caplog):
    images, boxes = _frames(season)
    first = build_backgrounds(images, boxes, season / "images", SETTINGS, tmp_path)
    [stored] = tmp_path.glob("background-*.npz")
    stored.write_bytes(stored.read_bytes()[:1000])  # a job killed mid-write
    with caplog.at_level(logging.WARNING, logger="trapline.identify.cache"):
        again = build_backgrounds(images, boxes, season / "images", SETTINGS, tmp_path)
    assert f"cache file {stored} is unreadable" in caplog.text
    assert set(again) == set(first)
    for key, background in first.items():
        assert np.array_equal(again[key], background, equal_nan=True)
    with np.load(stored) as data:  # written whole again
        assert sorted(data.files) == ["day-640x360", "ir-640x360"]


def test_a_killed_cache_write_leaves_no_file_behind(tmp_path, monkeypatch):
    def killed(handle, **arrays):
        handle.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # the job is killed mid-write

    monkeypatch.setattr(np, "savez_compressed", killed)
    with pytest.raises(KeyboardInterrupt):
        save_npz(tmp_path / "background-x.npz", compressed=True, day=np.zeros(3))
    assert list(tmp_path.iterdir()) == []
    save_npz(tmp_path / "ref-x.npz", xy=np.ones((2, 2)))  # np.savez, not patched
    assert [p.name for p in tmp_path.iterdir()] == ["ref-x.npz"]
    with np.load(tmp_path / "ref-x.npz") as data:
        assert np.array_equal(data["xy"], np.ones((2, 2)))
