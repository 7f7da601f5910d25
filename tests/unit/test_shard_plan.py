"""Shard plans: bounded, stable when cards add files, manifests rewritten on change."""

from __future__ import annotations

from trapline.inventory.files import SeasonFile, read_manifest
from trapline.inventory.layout import FolderLayout
from trapline.inventory.shards import plan_shards, write_manifests

LAYOUT = FolderLayout.parse("{station}/{camera}")


def season(per_camera: int, extra: dict[str, list[str]] | None = None):
    files = [
        SeasonFile(f"{station}/A/IMG_{i:05d}.JPG", 100, 1)
        for station in ("ST01", "ST02", "ST03")
        for i in range(0, 2 * per_camera, 2)
    ]
    for folder, names in (extra or {}).items():
        files += [SeasonFile(f"{folder}/{name}", 100, 2) for name in names]
    return files


def changed(before, after) -> set[str]:
    return {s for s, files in after.shards.items() if before.shards.get(s) != files}


def test_every_file_in_one_shard_of_its_camera_and_none_too_big():
    files = season(3000)
    plan = plan_shards(files, LAYOUT, 500)
    placed = [f for members in plan.shards.values() for f in members]
    assert sorted(placed, key=lambda f: f.path) == sorted(files, key=lambda f: f.path)
    assert max(len(m) for m in plan.shards.values()) <= 500
    for shard, members in plan.shards.items():
        station, camera = shard.split(".")[:2]
        assert {f.path.split("/")[0] for f in members} == {station}


def test_a_file_inserted_mid_folder_changes_one_shard():
    before = plan_shards(season(3000), LAYOUT, 500)
    after = plan_shards(season(3000, {"ST02/A": ["IMG_01001.JPG"]}), LAYOUT, 500)
    assert len(changed(before, after)) == 1


def test_a_new_card_appended_to_a_folder_leaves_other_shards_alone():
    before = plan_shards(season(3000), LAYOUT, 500)
    card = [f"IMG_{i:05d}.JPG" for i in range(6000, 6060)]
    after = plan_shards(season(3000, {"ST03/A": card}), LAYOUT, 500)
    touched = changed(before, after)
    assert touched and all(s.startswith("ST03.A.") for s in touched)
    kept = sum(len(before.shards[s]) for s in before.ids if s in after.shards)
    rerun = sum(len(after.shards[s]) for s in touched)
    assert rerun < 0.2 * kept  # the card's shard(s), not the camera's season


def test_unplaced_files_get_a_shard_too():
    plan = plan_shards([SeasonFile("loose.JPG", 1, 1)], LAYOUT, 10)
    assert [f.path for f in plan.shards[plan.ids[0]]] == ["loose.JPG"]


def test_manifests_are_rewritten_only_when_they_change(tmp_path):
    plan = plan_shards(season(100), LAYOUT, 50)
    assert write_manifests(plan, tmp_path) == (len(plan), 0)
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.tsv")}
    assert write_manifests(plan, tmp_path) == (0, 0)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.tsv")} == mtimes
    smaller = plan_shards(season(100)[:-5], LAYOUT, 50)
    written, removed = write_manifests(smaller, tmp_path)
    assert written >= 1 and removed <= 1
    for shard, files in smaller.shards.items():
        assert read_manifest(tmp_path / f"{shard}.tsv") == files
