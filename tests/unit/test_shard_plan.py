"""Shard plans: bounded, stable when cards add files, manifests rewritten on change."""

from __future__ import annotations

import unicodedata

from trapline.inventory.files import (
    SeasonFile,
    SkippedPath,
    manifest_text,
    read_manifest,
    read_skipped_text,
    skipped_text,
)
from trapline.inventory.layout import FolderLayout
from trapline.inventory.shards import _hash, plan_shards, write_manifests
from trapline.quarantine import Reason

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


def test_a_file_sorting_before_a_folders_first_renames_no_shard():
    before = plan_shards(season(3000), LAYOUT, 500)
    early = {f"{station}/A": ["AAA_0001.JPG"] for station in ("ST01", "ST02", "ST03")}
    after = plan_shards(season(3000, early), LAYOUT, 500)
    assert set(before.ids) <= set(after.ids)
    assert len(changed(before, after)) == 3  # the first shard of each folder


def names_between_boundaries(count: int, every: int, prefix: str) -> list[str]:
    """``count`` names of one folder, none of them a run boundary."""
    names, i = [], 0
    while len(names) < count:
        name = f"{prefix}{i:05d}.JPG"
        if _hash(f"ST01/A/{name}") % every:
            names.append(name)
        i += 1
    return names


def test_the_parts_of_a_long_run_keep_their_names():
    names = names_between_boundaries(35, 5, "IMG_")
    files = [SeasonFile(f"ST01/A/{name}", 1, 1) for name in names]
    before = plan_shards(files, LAYOUT, 10)
    assert before.ids == [
        "ST01.A.00000000",
        "ST01.A.00000000-1",
        "ST01.A.00000000-2",
        "ST01.A.00000000-3",
    ]
    early = names_between_boundaries(1, 5, "AAA_")
    after = plan_shards([SeasonFile(f"ST01/A/{early[0]}", 1, 1), *files], LAYOUT, 10)
    assert after.ids == before.ids


def test_runs_after_the_first_keep_the_names_they_always_had():
    files = season(3000)
    plan = plan_shards(files, LAYOUT, 500)
    starts = {members[0].path: shard for shard, members in plan.shards.items()}
    for path, shard in starts.items():
        if not shard.endswith(".00000000") and "-" not in shard:
            assert shard.endswith(f".{_hash(path) >> 32:08x}")


def test_folders_whose_names_slug_alike_lose_no_file():
    files = [
        SeasonFile("ST 01/A/IMG_1.JPG", 1, 1),
        SeasonFile("ST-01/A/IMG_2.JPG", 1, 1),
    ]
    plan = plan_shards(files, LAYOUT, 1000)
    assert plan.ids == ["ST-01.A.00000000", "ST-01.A.00000000_2"]
    placed = sorted(f.path for members in plan.shards.values() for f in members)
    assert placed == sorted(f.path for f in files)


NASTY = [
    "ST01/A/IMG\n0001.JPG",
    "ST01/A/IMG\t0002.JPG",
    "ST01/A/IMG\r0003.JPG",
    "ST01/A/IMG\\n0004.JPG",  # a backslash and an n, not a line break
    "ST01/A/IMG\\\t0005.JPG",
    '"ST01/A/IMG_0006.JPG"',
    "ST01/A/Bär_Ünd_Öl.JPG",
    unicodedata.normalize("NFD", "ST01/A/Bär_0007.JPG"),
    "ST01/A/IMG\u2028\x85\x0b\x0c\x1c.JPG",
    "ST01/A/IMG_\udcff.JPG",  # a name that is not UTF-8, as os.scandir gives it
    'ST01/A/IMG_"q".JPG',
    "ST01/A/IMG_0008.JPG\t",
]


def test_a_manifest_carries_any_file_name(tmp_path):
    files = [SeasonFile(path, i, 10**18 + i) for i, path in enumerate(NASTY)]
    text = manifest_text(files)
    assert text.count("\n") == len(files)
    (tmp_path / "x.tsv").write_bytes(text.encode("utf-8"))
    assert read_manifest(tmp_path / "x.tsv") == files
    plan = plan_shards(files, LAYOUT, 100)
    write_manifests(plan, tmp_path / "shards")
    for shard, members in plan.shards.items():
        assert read_manifest(tmp_path / "shards" / f"{shard}.tsv") == members


def test_manifests_of_ordinary_names_are_the_bytes_they_always_were():
    files = [
        SeasonFile("ST01/A/IMG_0001.JPG", 123, 1700000000000000000),
        SeasonFile("ST01/A/DCIM/100RECNX/Bär 0002.jpeg", 0, 1),
        SeasonFile("ST01/A/IMG\\0003.JPG", 5, 6),
        SeasonFile('ST01/A/IMG_0004 "x".JPG', 5, 6),
    ]
    old = "".join(f"{f.path}\t{f.size}\t{f.mtime_ns}\n" for f in files)
    assert manifest_text(files) == old


def test_an_old_manifest_with_a_tab_in_a_name_still_reads(tmp_path):
    (tmp_path / "old.tsv").write_text("ST01/A/IMG\t1.JPG\t5\t6\n")
    assert read_manifest(tmp_path / "old.tsv") == [
        SeasonFile("ST01/A/IMG\t1.JPG", 5, 6)
    ]


def test_the_skipped_list_carries_any_name(tmp_path):
    skipped = [
        SkippedPath(path, Reason.UNREADABLE_FOLDER, f"detail of {path}\nline 2")
        for path in NASTY
    ]
    (tmp_path / "skipped.txt").write_text(skipped_text(skipped), encoding="utf-8")
    assert read_skipped_text(tmp_path / "skipped.txt") == skipped
