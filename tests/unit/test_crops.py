"""Crops against known boxes: geometry, full resolution, orientation, no people."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageOps

from conftest import jpeg_bytes, read_precomputed, write
from trapline.crop.cut import CropSettings, crop_animals, pixel_box


def test_pixel_box_pads_and_clips():
    assert pixel_box((0.1, 0.2, 0.5, 0.5), (1000, 100), 0.0) == (100, 20, 600, 70)
    assert pixel_box((0.1, 0.2, 0.5, 0.5), (1000, 100), 0.1) == (50, 15, 650, 75)
    assert pixel_box((0.0, 0.0, 1.0, 1.0), (640, 360), 0.2) == (0, 0, 640, 360)


@pytest.fixture
def season(tiny_season) -> Path:
    return tiny_season


def inventory(season: Path) -> pd.DataFrame:
    files = pd.read_parquet(season / "truth/files.parquet")
    files = files[files["expected_reason"].isna()].reset_index(drop=True)
    files["image_id"] = [f"img{i}" for i in range(len(files))]
    return files[["image_id", "path", "station", "camera"]]


def test_crops_match_true_boxes_at_full_resolution(season, tmp_path):
    images = inventory(season)
    boxes, _ = read_precomputed(season / "truth/megadetector.json", images)
    settings = CropSettings(min_conf=0.5, padding=0.1)
    crops, failed = crop_animals(season / "images", images, boxes, tmp_path, settings)
    assert failed == []
    animals = boxes[boxes["category"] == "animal"]
    assert len(crops) == len(animals) > 0
    people = set(boxes.loc[boxes["category"] == "person", "image_id"])
    assert people, "the tiny season should hold people"
    others = boxes[boxes["category"] != "animal"]
    assert not set(crops["crop_id"]) & set(
        others["image_id"] + "-" + others["det_index"].astype(str)
    )
    paths = images.set_index("image_id")["path"]
    for crop in crops.sample(min(10, len(crops)), random_state=0).itertuples():
        full = Image.open(season / "images" / paths[crop.image_id]).convert("RGB")
        box = (crop.bbox_x, crop.bbox_y, crop.bbox_w, crop.bbox_h)
        left, top, right, bottom = pixel_box(box, full.size, 0.1)
        piece = Image.open(tmp_path / crop.crop_path)
        assert piece.size == (right - left, bottom - top)
        assert (crop.crop_left, crop.crop_top) == (left, top)
        expected = np.asarray(full.crop((left, top, right, bottom)), dtype=float)
        assert np.abs(np.asarray(piece, dtype=float) - expected).mean() < 4  # JPEG


def test_exif_orientation_is_applied_before_cropping(tmp_path):
    data = jpeg_bytes(size=(200, 100), extra_exif={})
    image = Image.open(write(tmp_path / "raw.JPG", data))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image.save(tmp_path / "rot.JPG", exif=exif)
    upright = ImageOps.exif_transpose(Image.open(tmp_path / "rot.JPG"))
    assert upright.size == (100, 200)
    images = pd.DataFrame(
        {"image_id": ["r"], "path": ["rot.JPG"], "station": ["S"], "camera": [None]}
    )
    boxes = pd.DataFrame(
        {
            "image_id": ["r"],
            "det_index": [0],
            "category": ["animal"],
            "conf": [0.9],
            "bbox_x": [0.0],
            "bbox_y": [0.5],
            "bbox_w": [1.0],
            "bbox_h": [0.5],
        }
    )
    crops, _ = crop_animals(
        tmp_path, images, boxes, tmp_path / "out", CropSettings(padding=0)
    )
    assert (crops.loc[0, "crop_width"], crops.loc[0, "crop_height"]) == (100, 100)


def test_names_differing_only_in_case_or_extension_get_their_own_crops(tmp_path):
    """``IMG_00005.JPG`` and ``IMG_00005.jpg`` once wrote one crop file, so one
    crop row showed the other image's animal."""
    for name, seed in (("IMG_00005.JPG", 1), ("IMG_00005.jpg", 2), ("x" * 240, 3)):
        write(tmp_path / "S/A" / name, jpeg_bytes(size=(64, 48), seed=seed))
    names = ["IMG_00005.JPG", "IMG_00005.jpg", "x" * 240]
    images = pd.DataFrame(
        {
            "image_id": ["upper", "lower", "long"],
            "path": [f"S/A/{n}" for n in names],
            "station": ["S"] * 3,
            "camera": ["A"] * 3,
        }
    )
    boxes = pd.DataFrame(
        {
            "image_id": ["upper", "lower", "long"],
            "det_index": [0, 0, 0],
            "category": ["animal"] * 3,
            "conf": [0.9] * 3,
            "bbox_x": [0.0] * 3,
            "bbox_y": [0.0] * 3,
            "bbox_w": [1.0] * 3,
            "bbox_h": [1.0] * 3,
        }
    )
    out = tmp_path / "out"
    crops, failed = crop_animals(tmp_path, images, boxes, out, CropSettings(padding=0))
    assert failed == []
    assert crops["crop_path"].is_unique
    sources = {
        row.image_id: np.asarray(Image.open(tmp_path / row.path), dtype=float)
        for row in images.itertuples()
    }
    for crop in crops.itertuples():
        piece = np.asarray(Image.open(out / crop.crop_path), dtype=float)
        error = {i: np.abs(piece - s).mean() for i, s in sources.items()}
        assert min(error, key=error.get) == crop.image_id, error
