"""The inventory on a hand-built season holding one file for every quarantine reason."""

import io
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from conftest import claiming, jpeg_bytes, write
from trapline.inventory import verdict
from trapline.inventory.files import (
    SkippedPath,
    image_id,
    manifest_text,
    skipped_text,
    walk_season,
)
from trapline.inventory.probe import probe_files
from trapline.inventory.settings import InventorySettings
from trapline.inventory.stage import (
    InventoryInputs,
    InventoryOutputs,
    ShardInputs,
    ShardOutputs,
    deployments_stage,
    inventory_shard_stage,
    inventory_stage,
)
from trapline.inventory.stations import read_stations
from trapline.inventory.verdict import build_inventory
from trapline.quarantine import FIXES, Reason
from trapline.tables import INVENTORY, QUARANTINE

STATIONS = (
    "Station,Camera,utm_x,utm_y,Setup_date,Retrieval_date,Clock_offset\n"
    "ST01,A,600000,5150000,2026-03-01,2026-03-30,\n"
    "ST01,B,600000,5150000,2026-03-01,2026-03-30,-02:00:00\n"
)

EXPECTED = {
    "ST01/A/IMG_0001.JPG": None,
    "ST01/A/IMG_0002.jpeg": None,
    "ST01/B/DCIM/100RECNX/IMG_0001.JPG": None,
    "ST01/A/VID_0001.AVI": Reason.UNSUPPORTED,
    "stray.JPG": Reason.OUTSIDE_LAYOUT,
    "ST09/A/IMG_0001.JPG": Reason.UNKNOWN_STATION,
    "ST01/C/IMG_0001.JPG": Reason.UNKNOWN_STATION,
    "ST01/A/IMG_0003.JPG": Reason.EMPTY_FILE,
    "ST01/A/IMG_0004.JPG": Reason.NOT_JPEG,
    "ST01/A/IMG_0005.JPG": Reason.TRUNCATED,
    "ST01/A/IMG_0010.JPG": Reason.TOO_LARGE,
    "ST01/A/IMG_0006.JPG": Reason.NO_TIMESTAMP,
    "ST01/A/IMG_0007.JPG": Reason.BAD_TIMESTAMP,
    "ST01/A/IMG_0008.JPG": Reason.OUTSIDE_DEPLOYMENT,
    "ST01/B/IMG_0009.JPG": Reason.OUTSIDE_DEPLOYMENT,
}


@pytest.fixture
def season(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    good = jpeg_bytes("2026:03:05 22:10:00", size=(320, 240))
    write(root / "ST01/A/IMG_0001.JPG", good)
    write(root / "ST01/A/IMG_0002.jpeg", jpeg_bytes("2026:03:06 04:00:00", seed=1))
    write(root / "ST01/B/DCIM/100RECNX/IMG_0001.JPG", jpeg_bytes("2026:03:05 23:10:00"))
    write(root / "ST01/A/VID_0001.AVI", b"RIFF....AVI LIST")
    write(root / "stray.JPG", good)
    write(root / "ST09/A/IMG_0001.JPG", good)
    write(root / "ST01/C/IMG_0001.JPG", good)
    write(root / "ST01/A/IMG_0003.JPG", b"")
    write(root / "ST01/A/IMG_0004.JPG", b"<html>card reader error</html>")
    write(root / "ST01/A/IMG_0005.JPG", good[: len(good) // 2])
    write(root / "ST01/A/IMG_0010.JPG", claiming(good, 30000, 30000))
    write(root / "ST01/A/IMG_0006.JPG", jpeg_bytes(None))
    write(root / "ST01/A/IMG_0007.JPG", jpeg_bytes("0000:00:00 00:00:00"))
    write(root / "ST01/A/IMG_0008.JPG", jpeg_bytes("2026:02:20 10:00:00"))
    # Inside the window by camera B's own clock, which runs 2 h fast: corrected,
    # 01:00 on setup day is 23:00 the evening before setup.
    write(root / "ST01/B/IMG_0009.JPG", jpeg_bytes("2026:03:01 01:00:00"))
    (tmp_path / "stations.csv").write_text(STATIONS)
    return tmp_path


def settings_of(season: Path) -> InventorySettings:
    return InventorySettings(
        str(season / "images"), str(season / "stations.csv"), "Etc/GMT-1"
    )


def shard(
    season: Path, out: Path, workers: int = 1, only: str = "", name: str = "shard"
) -> ShardOutputs:
    """One shard of the season (the files under ``only``) through inventory_shard."""
    manifest = out / f"{name}.tsv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    files = [f for f in walk_season(season / "images") if f.path.startswith(only)]
    manifest.write_text(manifest_text(files))
    deployments_stage(settings_of(season), out / "deployments.parquet")
    outputs = ShardOutputs(
        out / f"probes.{name}.parquet",
        out / f"{name}.parquet",
        out / f"{name}.q.parquet",
    )
    inventory_shard_stage(
        ShardInputs(manifest, out / "deployments.parquet"),
        settings_of(season),
        outputs,
        workers,
    )
    return outputs


def run(season: Path, workers: int = 2):
    deployments = read_stations(season / "stations.csv", "Etc/GMT-1")
    settings = settings_of(season)
    probes = probe_files(walk_season(season / "images"), season / "images", workers)
    return build_inventory(probes, settings, deployments)


def test_every_file_lands_in_exactly_one_table(season):
    images, quarantine = run(season)
    on_disk = {f.path for f in walk_season(season / "images")}
    assert set(images["path"]).isdisjoint(quarantine["path"])
    assert set(images["path"]) | set(quarantine["path"]) == on_disk
    assert len(images) + len(quarantine) == len(on_disk) == len(EXPECTED)


def test_each_bad_file_has_its_reason(season):
    images, quarantine = run(season)
    got = dict(zip(quarantine["path"], quarantine["reason"], strict=True))
    expected = {p: r.value for p, r in EXPECTED.items() if r is not None}
    assert got == expected
    assert set(images["path"]) == {p for p, r in EXPECTED.items() if r is None}
    assert quarantine["detail"].str.len().min() > 0
    assert set(Reason) == set(FIXES)


def test_clock_offset_corrects_time_and_keeps_exif_time(season):
    images, _ = run(season)
    cam_b = images.set_index("path").loc["ST01/B/DCIM/100RECNX/IMG_0001.JPG"]
    assert cam_b["datetime_exif"] == pd.Timestamp("2026-03-05 23:10", tz="Etc/GMT-1")
    assert cam_b["datetime"] == pd.Timestamp("2026-03-05 21:10", tz="Etc/GMT-1")
    assert cam_b["clock_offset_s"] == -7200
    assert cam_b["deployment_id"] == "ST01__B"


def test_exif_fields_and_ids(season):
    images, _ = run(season, workers=1)
    first = images.set_index("path").loc["ST01/A/IMG_0001.JPG"]
    assert (first["make"], first["model"], first["serial"]) == (
        "RECONYX",
        "HF2X",
        "SN0001",
    )
    assert (first["width"], first["height"]) == (320, 240)
    assert first["timestamp_source"] == "DateTimeOriginal"
    assert first["image_id"] == image_id("ST01/A/IMG_0001.JPG")
    assert images["image_id"].is_unique


def test_originals_are_never_rewritten(season):
    before = {p: p.read_bytes() for p in (season / "images").rglob("*") if p.is_file()}
    run(season)
    after = {p: p.read_bytes() for p in (season / "images").rglob("*") if p.is_file()}
    assert before == after


def test_tables_follow_the_contract(season, tmp_path):
    out = tmp_path / "results"
    one = shard(season, out, workers=2)
    inventory_stage(
        InventoryInputs([one.images], [one.quarantine]),
        settings_of(season),
        InventoryOutputs(out / "images.parquet", out / "quarantine.parquet"),
    )
    images = INVENTORY.read(out / "images.parquet")
    quarantine = QUARANTINE.read(out / "quarantine.parquet")
    assert list(images.columns[: len(INVENTORY.names)]) == INVENTORY.names
    assert list(quarantine.columns) == QUARANTINE.names
    assert str(images["datetime"].dtype) == "datetime64[ms, Etc/GMT-1]"
    assert not list(out.glob(".*tmp"))


def test_probes_are_reused_for_unchanged_files_only(season, tmp_path):
    root = season / "images"
    probes = shard(season, tmp_path).probes
    first = pd.read_parquet(probes).set_index("path")
    changed = root / "ST01/A/IMG_0008.JPG"
    changed.write_bytes(jpeg_bytes("2026:03:02 10:00:00"))
    (root / "ST01/A/IMG_0001.JPG").unlink()
    shard(season, tmp_path)
    second = pd.read_parquet(probes).set_index("path")
    assert "ST01/A/IMG_0001.JPG" not in second.index
    assert "2026:03:02" in second.at["ST01/A/IMG_0008.JPG", "tags"]
    same = second.index.drop("ST01/A/IMG_0008.JPG")
    pd.testing.assert_frame_equal(first.loc[same], second.loc[same])


def test_old_probes_are_redone_with_this_version_s_checks(season, tmp_path):
    """Probes cached before the pixel-size check must not let a bomb through."""
    outputs = shard(season, tmp_path)
    old = pd.read_parquet(outputs.probes)
    bomb = old["path"] == "ST01/A/IMG_0010.JPG"
    old.loc[bomb, ["jpeg_reason", "jpeg_detail"]] = None
    old.drop(columns="probe_version", errors="ignore").to_parquet(outputs.probes)
    shard(season, tmp_path)
    quarantine = QUARANTINE.read(outputs.quarantine).set_index("path")
    assert quarantine.at["ST01/A/IMG_0010.JPG", "reason"] == "too_large"


def turned_jpeg(when: str, size: tuple[int, int], orientation: int) -> bytes:
    """A real JPEG whose IFD0 says how to turn it upright (as cameras on their side)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = when
    buf = io.BytesIO()
    Image.new("RGB", size).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_width_and_height_are_those_of_the_upright_frame(season):
    """Boxes are fractions of the frame the detector saw, after exif_transpose."""
    root = season / "images"
    write(root / "ST01/A/ROT_6.JPG", turned_jpeg("2026:03:07 10:00:00", (640, 360), 6))
    write(root / "ST01/A/ROT_1.JPG", turned_jpeg("2026:03:07 10:00:01", (640, 360), 1))
    images, _ = run(season)
    sizes = images.set_index("path")[["width", "height"]]
    assert tuple(sizes.loc["ST01/A/ROT_6.JPG"]) == (360, 640)
    assert tuple(sizes.loc["ST01/A/ROT_1.JPG"]) == (640, 360)


def test_decomposed_folder_name_matches_the_composed_stations_table(season):
    """Identical-looking names in NFD (macOS, card readers) and NFC (spreadsheets)."""
    table = season / "stations.csv"
    table.write_text(
        table.read_text() + "Zürich,A,600000,5150000,2026-03-01,2026-03-30,\n"
    )
    folder = unicodedata.normalize("NFD", "Zürich")
    write(season / f"images/{folder}/A/IMG_0001.JPG", jpeg_bytes(seed=3))
    images, quarantine = run(season)
    assert not quarantine["path"].str.startswith(folder).any()
    placed = images[images["path"].str.startswith(folder)]
    assert placed["station"].tolist() == [unicodedata.normalize("NFC", "Zürich")]
    assert placed["deployment_id"].tolist() == ["Zürich__A"]


def scan_byte_changed(data: bytes) -> bytes:
    """Same size, same EXIF, other bytes: one byte of the compressed scan flipped."""
    out = bytearray(data)
    i = len(out) - 100
    while out[i] >= 0xFE or out[i - 1] == 0xFF:
        i -= 1
    out[i] ^= 0x01
    return bytes(out)


def test_a_card_copied_into_two_station_folders_counts_once(
    season, tmp_path, monkeypatch
):
    """Exact copies across shards: the first by path stays, the later is a duplicate."""
    root = season / "images"
    first = "ST01/A/IMG_0001.JPG"
    shutil.copy(root / first, write(root / "ST01/B/COPY/IMG_0001.JPG", b""))
    write(
        root / "ST01/B/COPY/IMG_0002.JPG",
        scan_byte_changed((root / first).read_bytes()),
    )
    out = tmp_path / "results"
    shards = [
        shard(season, out, only="ST01/A/", name="a"),
        shard(season, out, only="ST01/B/", name="b"),
        shard(season, out, only="stray", name="c"),
    ]
    read = []
    digest = verdict.file_digest
    monkeypatch.setattr(verdict, "file_digest", lambda p: read.append(p) or digest(p))
    inventory_stage(
        InventoryInputs([s.images for s in shards], [s.quarantine for s in shards]),
        settings_of(season),
        InventoryOutputs(out / "images.parquet", out / "quarantine.parquet"),
    )
    images = INVENTORY.read(out / "images.parquet")
    quarantine = QUARANTINE.read(out / "quarantine.parquet").set_index("path")
    copy = quarantine.loc["ST01/B/COPY/IMG_0001.JPG"]
    assert (copy["reason"], copy["stage"], copy["camera"]) == (
        "duplicate",
        "inventory",
        "B",
    )
    assert first in copy["detail"]
    assert {first, "ST01/B/COPY/IMG_0002.JPG"} <= set(images["path"])
    assert "ST01/B/COPY/IMG_0001.JPG" not in set(images["path"])
    assert set(images["path"]).isdisjoint(quarantine.index)
    # Only files sharing size, EXIF time and serial were read in full.
    candidates = {first, "ST01/B/COPY/IMG_0001.JPG", "ST01/B/COPY/IMG_0002.JPG"}
    assert sorted(read) == sorted(str((root / p).absolute()) for p in candidates)
    assert not {"source", "mtime_ns"} & set(images.columns)


def test_paths_the_walk_skipped_are_in_the_inventory_quarantine(season, tmp_path):
    """An unreadable folder or a broken link is named in the books, placed at its
    station and camera where the layout can tell."""
    out = tmp_path / "results"
    one = shard(season, out)
    skipped = out / "skipped.txt"
    skipped.write_text(
        skipped_text(
            [
                SkippedPath("ST01/B/LOCKED", Reason.UNREADABLE_FOLDER, "denied"),
                SkippedPath("ST01/A", Reason.BROKEN_LINK, "no target"),
            ]
        )
    )
    inventory_stage(
        InventoryInputs([one.images], [one.quarantine], skipped),
        settings_of(season),
        InventoryOutputs(out / "images.parquet", out / "quarantine.parquet"),
    )
    quarantine = QUARANTINE.read(out / "quarantine.parquet").set_index("path")
    locked = quarantine.loc["ST01/B/LOCKED"]
    assert (locked["reason"], locked["station"], locked["camera"]) == (
        "unreadable_folder",
        "ST01",
        "B",
    )
    assert quarantine.loc["ST01/A", "reason"] == "broken_link"
