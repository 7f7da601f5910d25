"""The real MegaDetector code path on an architecture-true stand-in checkpoint."""

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from PIL import ImageFile

from trapline.detect.megadetector import box_rows, raw_frame
from trapline.detect.model import Detector, DetectorSettings
from trapline.inventory.jpeg import megadetector_imports
from trapline.quarantine import Reason
from trapline.testing.agreement import matched_boxes
from trapline.testing.standins import megadetector_standin
from trapline.weights import WeightsError, megadetector_weights

pytestmark = pytest.mark.slow


def test_weights_come_from_config_then_env_then_cache(
    md_standin, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("MDV5A", raising=False)
    with pytest.raises(WeightsError, match=r"'MDV5A' \(md_v5a.0.1.pt\).*fetch_models"):
        megadetector_weights("MDV5A", models_dir=tmp_path / "models")
    cache = tmp_path / "megadetector_models" / "md_v5a.0.1.pt"
    cache.parent.mkdir()
    cache.write_bytes(b"cached")
    assert megadetector_weights("MDV5A", models_dir=tmp_path) == cache
    monkeypatch.setenv("MDV5A", str(md_standin))
    assert megadetector_weights("MDV5A", models_dir=tmp_path) == md_standin
    own = tmp_path / "own.pt"
    own.write_bytes(b"x")
    assert megadetector_weights("MDV5A", str(own), models_dir=tmp_path) == own
    with pytest.raises(WeightsError, match="do not exist"):
        megadetector_weights("MDV5A", str(tmp_path / "nope.pt"))
    with pytest.raises(WeightsError, match="not a MegaDetector model"):
        megadetector_weights("MDV9Z")


@pytest.fixture(scope="module")
def images(tiny_season) -> pd.DataFrame:
    files = pd.read_parquet(tiny_season / "truth/files.parquet")
    usable = files[files["expected_reason"].isna()].head(5).reset_index(drop=True)
    usable["image_id"] = [f"img{i}" for i in range(len(usable))]
    return usable[["image_id", "path"]]


def test_detector_runs_megadetectors_loader_and_quarantines_truncated(
    md_standin, tiny_season, images, tmp_path, monkeypatch
):
    root = tmp_path / "images"
    for rel in images["path"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes((tiny_season / "images" / rel).read_bytes())
    whole = (root / images["path"][0]).read_bytes()
    (root / "cut.JPG").write_bytes(whole[: len(whole) // 2])
    todo = pd.concat(
        [images, pd.DataFrame({"image_id": ["cut"], "path": ["cut.JPG"]})],
        ignore_index=True,
    )
    monkeypatch.setenv("MDV5A", str(md_standin))
    weights = megadetector_weights("MDV5A")
    detector = Detector(DetectorSettings(weights, threads=2, decode_workers=1))
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as importing MegaDetector leaves it
    try:
        raw, failed = detector(root, todo)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    assert [(q.path, q.reason) for q in failed] == [("cut.JPG", Reason.TRUNCATED)]
    assert set(raw["image_id"]) <= set(images["image_id"])
    assert len(raw) > 0, "a random-weight detector still emits low-confidence boxes"
    assert set(raw["category"]) <= {"animal", "person", "vehicle"}
    assert (raw["conf"] >= 0.005).all() and (raw["conf"] <= 1).all()
    boxes = raw[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]]
    assert ((boxes >= 0) & (boxes <= 1)).all().all()
    assert (raw["detector"] == Path(md_standin).name).all()
    for _, group in raw.groupby("image_id"):
        assert group["det_index"].tolist() == list(range(len(group)))
        assert group["conf"].is_monotonic_decreasing


def test_same_boxes_with_and_without_decode_workers(md_standin, tiny_season, images):
    """Worker processes change where decoding happens, never the answer."""
    root = tiny_season / "images"
    settings = DetectorSettings(md_standin, threads=2, decode_workers=0)
    inline, _ = Detector(settings)(root, images)
    workers = DetectorSettings(md_standin, threads=2, decode_workers=1)
    spawned, _ = Detector(workers)(root, images)
    pd.testing.assert_frame_equal(inline, spawned)


def test_same_boxes_as_megadetectors_own_runner(md_standin, tiny_season, images):
    """trapline's loop returns the boxes MegaDetector's own runner returns.

    The tiny season's frames are smaller than the model's input, so both sides
    decode and letterbox the same pixels.
    """
    with megadetector_imports():
        from megadetector.detection.run_detector_batch import (
            load_and_run_detector_batch,
        )

    root = tiny_season / "images"
    results = load_and_run_detector_batch(
        str(md_standin),
        image_file_names=[str(root / p) for p in images["path"]],
        n_cores=1,
        quiet=True,
    )
    by_file = dict(zip(images["path"], images["image_id"], strict=True))
    theirs = raw_frame(
        [
            row
            for r in results
            for row in box_rows(
                by_file[str(Path(r["file"]).relative_to(root))],
                r["detections"],
                "megadetector",
            )
        ]
    )
    ours, failed = Detector(DetectorSettings(md_standin, threads=2))(root, images)

    assert failed == []
    assert len(theirs) > 0
    assert len(ours) == len(theirs)
    assert matched_boxes(ours, theirs) == len(theirs)


def test_faster_model_computes_what_megadetectors_model_computes(tmp_path):
    """Folded batch norms, in-place SiLU and channels-last change speed, not output.

    The stand-in's batch norms carry trained-like statistics (a fresh batch norm
    is nearly the identity, which would hide a wrong fold). Raw outputs are
    compared before non-maximum suppression, which turns float noise into
    different boxes when, as with random weights, many boxes tie.
    """
    import torch

    with megadetector_imports():
        from megadetector.detection.pytorch_detector import PTDetector

    weights = megadetector_standin(tmp_path / "md.pt", batchnorm_stats=True)
    theirs = PTDetector(str(weights), {"device": "cpu"}).model
    detector = Detector(DetectorSettings(weights, threads=2))
    ours = detector.model.model
    assert not [m for m in ours.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    torch.manual_seed(1)
    frame = torch.rand(1, 3, 384, 640)
    with torch.inference_mode():
        expected = theirs(frame)[0]
        got = ours(frame)[0]
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)
