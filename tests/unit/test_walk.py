"""The season's walk: each real folder once, links decided, nothing stops the plan."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trapline.inventory import files
from trapline.inventory.files import SkippedPath, scan_season, walk_season
from trapline.inventory.layout import FolderLayout
from trapline.inventory.shards import (
    MANIFEST_SUFFIX,
    SKIPPED_FILE,
    plan_season,
    read_skipped,
)
from trapline.quarantine import Reason

LAYOUT = FolderLayout.parse("{station}/{camera}")


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def link(path: Path, target: str | Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def paths(root: Path) -> list[str]:
    return [f.path for f in walk_season(root)]


def skipped(root: Path) -> dict[str, Reason]:
    return {s.path: s.reason for s in scan_season(root).skipped}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    touch(root / "ST01/A/IMG_0001.JPG")
    touch(root / "ST01/A/IMG_0002.JPG")
    touch(root / "ST02/A/IMG_0001.JPG")
    return root


def test_a_folder_linked_twice_is_walked_once_under_its_real_path(root):
    # "AA" sorts before "ST01", and the link sits at a station of its own.
    link(root / "AA", "ST01")
    link(root / "ST03/A", "../ST01/A")
    assert paths(root) == [
        "ST01/A/IMG_0001.JPG",
        "ST01/A/IMG_0002.JPG",
        "ST02/A/IMG_0001.JPG",
    ]
    assert skipped(root) == {
        "AA": Reason.DUPLICATE_LINK,
        "ST03/A": Reason.DUPLICATE_LINK,
    }
    details = {s.path: s.detail for s in scan_season(root).skipped}
    assert "'ST01/A'" in details["ST03/A"]


def test_a_symlink_loop_does_not_stop_the_plan(root, tmp_path):
    link(root / "ST01/A/back", "..")
    link(root / "ST02/A/top", "../..")
    walk = scan_season(root)
    assert [f.path for f in walk.files] == [
        "ST01/A/IMG_0001.JPG",
        "ST01/A/IMG_0002.JPG",
        "ST02/A/IMG_0001.JPG",
    ]
    assert {s.path: s.reason for s in walk.skipped} == {
        "ST01/A/back": Reason.DUPLICATE_LINK,
        "ST02/A/top": Reason.DUPLICATE_LINK,
    }
    assert all("loop" in s.detail for s in walk.skipped)
    plan = plan_season(root, LAYOUT, 10, tmp_path / "shards")
    assert sum(len(m) for m in plan.shards.values()) == 3


def test_a_folder_linked_in_from_another_drive_is_walked(root, tmp_path):
    touch(tmp_path / "drive/card7/IMG_0001.JPG")
    link(root / "ST03/A", tmp_path / "drive/card7")
    link(root / "ST03/B", tmp_path / "drive/card7/../card7")  # the same card again
    assert "ST03/A/IMG_0001.JPG" in paths(root)
    assert skipped(root) == {"ST03/B": Reason.DUPLICATE_LINK}


def test_links_inside_a_linked_folder_come_after_its_real_folders(root, tmp_path):
    touch(tmp_path / "drive/ST04/A/IMG_0001.JPG")
    link(tmp_path / "drive/ST04/0", "A")  # sorts before A, inside the linked tree
    link(root / "ST04", tmp_path / "drive/ST04")
    assert "ST04/A/IMG_0001.JPG" in paths(root)
    assert skipped(root) == {"ST04/0": Reason.DUPLICATE_LINK}


def test_a_symlinked_file_of_the_season_is_not_a_second_image(root, tmp_path):
    link(root / "ST02/A/IMG_0009.JPG", "../../ST01/A/IMG_0001.JPG")
    touch(tmp_path / "drive/IMG_0100.JPG", b"abc")
    link(root / "ST02/A/IMG_0100.JPG", tmp_path / "drive/IMG_0100.JPG")
    link(root / "ST02/A/IMG_0101.JPG", tmp_path / "drive/IMG_0100.JPG")
    walk = scan_season(root)
    kept = {f.path: f.size for f in walk.files}
    assert "ST02/A/IMG_0009.JPG" not in kept
    assert kept["ST02/A/IMG_0100.JPG"] == 3  # a file linked in from elsewhere
    assert {s.path: s.reason for s in walk.skipped} == {
        "ST02/A/IMG_0009.JPG": Reason.DUPLICATE_LINK,
        "ST02/A/IMG_0101.JPG": Reason.DUPLICATE_LINK,
    }


def test_a_broken_link_is_skipped_and_recorded(root):
    link(root / "ST02/A/IMG_0002.JPG", "/nonexistent/card/IMG_0002.JPG")
    link(root / "ST05", "/nonexistent/drive/ST05")
    link(root / "ST02/A/x", "y")
    link(root / "ST02/A/y", "x")
    walk = scan_season(root)
    assert len(walk.files) == 3
    assert {s.path: s.reason for s in walk.skipped} == {
        "ST02/A/IMG_0002.JPG": Reason.BROKEN_LINK,
        "ST02/A/x": Reason.BROKEN_LINK,
        "ST02/A/y": Reason.BROKEN_LINK,
        "ST05": Reason.BROKEN_LINK,
    }
    details = {s.path: s.detail for s in walk.skipped}
    assert "/nonexistent/drive/ST05" in details["ST05"]
    assert "loop" in details["ST02/A/x"]


class Listing:
    """A stand-in for ``os.scandir``'s iterator (a context manager)."""

    def __init__(self, entries: list[os.DirEntry]) -> None:
        self.entries = entries

    def __enter__(self) -> Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __iter__(self):
        return iter(self.entries)


def refuse(monkeypatch, folder: Path) -> None:
    """``os.scandir`` raises PermissionError for ``folder`` (root ignores chmod)."""
    real = os.scandir

    def scandir(path=".", *args):
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(files.os, "scandir", scandir)


def test_an_unreadable_folder_is_skipped_and_recorded(root, monkeypatch):
    touch(root / "ST02/B/IMG_0001.JPG")
    refuse(monkeypatch, root / "ST02/A")
    walk = scan_season(root)
    assert [f.path for f in walk.files] == [
        "ST01/A/IMG_0001.JPG",
        "ST01/A/IMG_0002.JPG",
        "ST02/B/IMG_0001.JPG",
    ]
    assert walk.skipped == [
        SkippedPath(
            "ST02/A", Reason.UNREADABLE_FOLDER, "PermissionError: Permission denied"
        )
    ]


def test_an_unreadable_images_root_still_stops_the_plan(root, monkeypatch):
    refuse(monkeypatch, root)
    with pytest.raises(PermissionError):
        scan_season(root)


def test_the_plan_lists_what_it_skipped_beside_the_manifests(
    root, monkeypatch, tmp_path
):
    folder = tmp_path / "results/shards"
    refuse(monkeypatch, root / "ST02/A")
    link(root / "ST03", "/nonexistent/drive/ST03")
    plan = plan_season(root, LAYOUT, 10, folder)
    expected = [
        SkippedPath(
            "ST02/A", Reason.UNREADABLE_FOLDER, "PermissionError: Permission denied"
        ),
        SkippedPath(
            "ST03",
            Reason.BROKEN_LINK,
            "points to '/nonexistent/drive/ST03', which does not exist",
        ),
    ]
    assert list(plan.skipped) == expected
    assert read_skipped(folder) == expected
    # every *.tsv is a shard (a cluster job globs them): the list is not one
    assert sorted(p.stem for p in folder.glob(f"*{MANIFEST_SUFFIX}")) == plan.ids
    mtime = (folder / SKIPPED_FILE).stat().st_mtime_ns
    plan_season(root, LAYOUT, 10, folder)
    assert (folder / SKIPPED_FILE).stat().st_mtime_ns == mtime
    assert expected[0].quarantined().reason == Reason.UNREADABLE_FOLDER


def test_nothing_skipped_still_writes_an_empty_list(root, tmp_path):
    plan_season(root, LAYOUT, 10, tmp_path / "shards")
    assert (tmp_path / "shards" / SKIPPED_FILE).read_text() == ""
    assert read_skipped(tmp_path / "shards") == []
    assert read_skipped(tmp_path / "nowhere") == []


def test_the_walk_does_not_depend_on_listing_order(root, monkeypatch, tmp_path):
    touch(tmp_path / "drive/card/IMG_0001.JPG")
    link(root / "ST03/A", tmp_path / "drive/card")
    link(root / "ST00/A", tmp_path / "drive/card")
    link(root / "ST01/B", "A")
    forward = scan_season(root)
    real = os.scandir

    def backwards(path=".", *args):
        with real(path, *args) as listing:
            return Listing(sorted(listing, key=lambda e: e.name, reverse=True))

    monkeypatch.setattr(files.os, "scandir", backwards)
    assert scan_season(root) == forward
    assert [s.path for s in forward.skipped] == ["ST01/B", "ST03/A"]


def test_odd_names_on_disk_go_through_a_manifest(tmp_path):
    root = tmp_path / "images"
    names = ["IMG\n0001.JPG", "IMG\t2.JPG", "IMG\\3.JPG", '"4".JPG', "Bär.JPG"]
    for name in names:
        touch(root / "ST01/A" / name)
    with open(os.fsencode(root / "ST01/A") + b"/IMG_\xff.JPG", "wb"):  # not UTF-8
        pass
    plan = plan_season(root, LAYOUT, 10, tmp_path / "shards")
    (shard,) = plan.ids
    manifest = tmp_path / "shards" / f"{shard}{MANIFEST_SUFFIX}"
    listed = files.read_manifest(manifest)
    assert listed == plan.shards[shard]
    assert len(listed) == 5  # the non-UTF-8 name is recorded, not carried
    assert [s.path for s in plan.skipped] == ["ST01/A/IMG_\\xff.JPG"]
    for f in listed:
        assert os.path.isfile(root / f.path)
        files.image_id(f.path)


def test_a_name_that_is_not_utf8_is_recorded_not_carried(tmp_path):
    """Parquet cannot hold such a name: the walk names it (escaped) and goes on."""
    root = tmp_path / "images"
    (root / "ST01/A").mkdir(parents=True)
    (root / "ST01/A/ok.JPG").write_bytes(b"x")
    os.makedirs(os.fsencode(root / "ST01/A") + b"/caf\xe9")
    open(os.fsencode(root / "ST01/A") + b"/caf\xe9.JPG", "wb").close()
    walk = scan_season(root)
    assert [f.path for f in walk.files] == ["ST01/A/ok.JPG"]
    assert sorted(s.path for s in walk.skipped) == [
        "ST01/A/caf\\xe9",
        "ST01/A/caf\\xe9.JPG",
    ]
    assert all(s.reason == Reason.UNREADABLE for s in walk.skipped)
