"""The per-shard detection cache survives a shard's rename (no model needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from trapline.detect import model
from trapline.detect.shard import cached, detect_shard, shard_rows
from trapline.inventory.files import image_id
from trapline.tables import RAW_DETECTIONS, SHARD_DETECTIONS

DETECTOR = "md_v5a.0.0.pt:100:1280:0.005"


def images(*paths: str, mtime_ns: int = 1) -> pd.DataFrame:
    """A shard's images as ``readable_images`` gives them."""
    return pd.DataFrame(
        {
            "path": list(paths),
            "size": [100] * len(paths),
            "mtime_ns": [mtime_ns] * len(paths),
            "image_id": [image_id(p) for p in paths],
        }
    )


def box(path: str, det_index: int, conf: float = 0.9) -> dict:
    return {
        "image_id": image_id(path),
        "det_index": det_index,
        "category": "animal",
        "conf": conf,
        "bbox_x": 0.1,
        "bbox_y": 0.2,
        "bbox_w": 0.3,
        "bbox_h": 0.4,
        "detector": "md_v5a.0.0.pt",
        "classifier_species": None,
        "classifier_conf": None,
    }


def write_shard(
    out: Path, shard_images: pd.DataFrame, boxes: list[dict], detector: str = DETECTOR
) -> pd.DataFrame:
    """A shard's output, as ``detect_shard`` leaves it."""
    frame = shard_rows(
        shard_images, pd.DataFrame(boxes, columns=RAW_DETECTIONS.names), [], detector
    )
    SHARD_DETECTIONS.write(frame, out)
    return frame


@pytest.fixture
def shards(tmp_path: Path) -> Path:
    folder = tmp_path / "detect/shards"
    folder.mkdir(parents=True)
    return folder


A = [f"ST01/A/IMG_{i:04d}.JPG" for i in range(1, 5)]


def by_path(frame: pd.DataFrame) -> dict[str, int]:
    return frame.groupby("path").size().to_dict()


def test_a_renamed_shard_takes_its_images_from_the_old_output(shards):
    write_shard(
        shards / "ST01.A.1a2b3c4d.parquet", images(*A[:3]), [box(A[0], 0), box(A[0], 1)]
    )
    got = cached(shards / "ST01.A.00000000.parquet", images(*A), DETECTOR)
    assert by_path(got) == {A[0]: 2, A[1]: 1, A[2]: 1}  # A[3] is new
    assert list(got.columns) == SHARD_DETECTIONS.names


def test_only_the_same_file_and_detector_and_folder_are_taken(shards):
    write_shard(shards / "ST01.A.1a2b3c4d.parquet", images(A[0], mtime_ns=2), [])
    write_shard(shards / "ST01.A.2b3c4d5e.parquet", images(A[1]), [], "other:1:640:0.1")
    write_shard(shards / "ST01.B.1a2b3c4d.parquet", images(A[2]), [])
    write_shard(shards / "ST01.AB.1a2b3c4d.parquet", images(A[3]), [])
    got = cached(shards / "ST01.A.00000000.parquet", images(*A), DETECTOR)
    assert got.empty


def test_each_image_comes_from_one_file_its_own_first(shards):
    out = shards / "ST01.A.00000000.parquet"
    write_shard(out, images(A[0]), [box(A[0], 0)])
    write_shard(
        shards / "ST01.A.1a2b3c4d.parquet",
        images(*A[:2]),
        [box(A[0], 0, 0.5), box(A[0], 1)],
    )
    write_shard(shards / "ST01.A.2b3c4d5e.parquet", images(A[1]), [box(A[1], 0)])
    got = cached(out, images(*A[:2]), DETECTOR)
    assert by_path(got) == {A[0]: 1, A[1]: 1}
    assert got.loc[got["path"] == A[0], "conf"].tolist() == [0.9]  # its own row
    assert got.loc[got["path"] == A[1], "det_index"].isna().all()  # first file's


def test_an_unreadable_or_unrelated_output_is_passed_over(shards):
    (shards / "ST01.A.deadbeef.parquet").write_bytes(b"not parquet")
    write_shard(shards / "ST01.A.0badf00d.parquet", images("ST01/A/ZZZ.JPG"), [])
    write_shard(shards / "ST01.A.1a2b3c4d.parquet", images(A[0]), [])
    got = cached(shards / "ST01.A.00000000.parquet", images(A[0]), DETECTOR)
    assert by_path(got) == {A[0]: 1}


def test_after_a_rename_only_new_images_reach_the_detector(
    shards, tmp_path, monkeypatch
):
    weights = tmp_path / "md_v5a.0.0.pt"
    weights.write_bytes(b"x" * 100)
    settings = SimpleNamespace(weights=weights, image_size=1280, min_conf=0.005)
    write_shard(shards / "ST01.A.1a2b3c4d.parquet", images(*A[:3]), [box(A[0], 0)])
    accepted = images(*A).rename(columns={"size": "file_size"})
    accepted.to_parquet(tmp_path / "accepted.parquet")
    seen: list[str] = []

    class Detector:
        def __init__(self, settings) -> None:
            pass

        def batches(self, root, todo):
            seen.extend(todo["path"])
            yield [], [], list(todo["path"])

    monkeypatch.setattr(model, "Detector", Detector)
    out = shards / "ST01.A.00000000.parquet"
    assert detect_shard(tmp_path / "accepted.parquet", tmp_path, settings, out) == 1
    assert seen == [A[3]]
    assert by_path(SHARD_DETECTIONS.read(out)) == {A[0]: 1, A[1]: 1, A[2]: 1, A[3]: 1}
