"""Shards: the season cut into stable chunks of images, one job each per stage.

Snakemake plans about a millisecond and 13 KB per job, so one job per image cannot
serve a million-image season; one job per stage cannot rerun only what a new card
changed. A shard is a run of files of one deployment folder (station/camera),
cut where a file's name hashes to a boundary (content-defined chunking), so adding
files to a folder changes only the shard they fall into, never the shards after
it. A run of more than ``max_images`` files between two boundaries is cut into
parts of ``max_images`` from its start, so files appended to it (a new card)
change only its last part.

A shard's name never depends on which files happen to come first: a run that
starts at a boundary file is named by that file's hash (it starts the run as long
as it exists), the folder's run before its first boundary by the folder alone
(``<station>.<camera>.00000000``), and part ``k > 0`` of a long run by the run's
name and ``-k``. So a file that sorts before a folder's first file changes one
shard's content but renames none, and its shards' detections stay cached.

Each shard has a manifest (``<results>/shards/<shard>.tsv``: path, size, mtime in
ns) that is rewritten only when its content changes: unchanged shards keep their
manifest's timestamp and Snakemake does not rerun them. Beside them,
``skipped.txt`` lists what the walk set aside (an unreadable folder, a broken or
duplicate link): a manifest line names a file with its size, which such a path
has not, so the inventory reads them with :func:`read_skipped` and quarantines
them. Not ``*.tsv``: every ``*.tsv`` in the folder is a shard.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from trapline.inventory.files import (
    SeasonFile,
    SkippedPath,
    manifest_text,
    read_skipped_text,
    scan_season,
    skipped_text,
)
from trapline.inventory.layout import FolderLayout
from trapline.io import write_atomic

MANIFEST_SUFFIX = ".tsv"
SKIPPED_FILE = "skipped.txt"
FIRST_RUN = "00000000"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ShardPlan:
    """Shard ids in order, the files of each, and the paths the walk set aside."""

    shards: dict[str, list[SeasonFile]]
    skipped: tuple[SkippedPath, ...] = ()

    @property
    def ids(self) -> list[str]:
        return list(self.shards)

    def __len__(self) -> int:
        return len(self.shards)


def _hash(path: str) -> int:
    data = path.encode("utf-8", "surrogateescape")  # a name that is not UTF-8
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest())


def _slug(name: str | None) -> str:
    if not name:
        return "_"
    return _UNSAFE.sub("-", name).strip("-") or "x"


def plan_shards(
    files: Iterable[SeasonFile], layout: FolderLayout, max_images: int
) -> ShardPlan:
    """Cut files into shards of at most ``max_images`` per deployment folder.

    Args:
        files: everything found under ``images_root`` (paths relative, ``/``).
        layout: where station and camera sit in a path; files outside the layout
            share one shard group (the inventory quarantines them).
        max_images: the most files in one shard.
    """
    groups: dict[tuple[str, str], list[SeasonFile]] = defaultdict(list)
    for f in files:
        place = layout.locate(f.path)
        key = ("_outside", "_") if place is None else (place[0], place[1] or "_")
        groups[key].append(f)
    every = max(1, max_images // 2)
    shards: dict[str, list[SeasonFile]] = {}
    for (station, camera), members in sorted(groups.items()):
        members.sort(key=lambda f: f.path)
        prefix = f"{_slug(station)}.{_slug(camera)}."
        for tag, run in _runs(members, every):
            for part, start in enumerate(range(0, len(run), max_images)):
                name = prefix + (f"{tag}-{part}" if part else tag)
                shards[_unique(name, shards)] = run[start : start + max_images]
    return ShardPlan(shards)


def _runs(members: list[SeasonFile], every: int) -> list[tuple[str, list[SeasonFile]]]:
    """A folder's files (sorted) cut before each boundary file, with run names.

    The boundary file names its run (``_hash >> 32``, as shard names have always
    been); the run before the first boundary is :data:`FIRST_RUN`, whatever its
    first file, so that a file sorted in before it renames nothing.
    """
    runs: list[tuple[str, list[SeasonFile]]] = [(FIRST_RUN, [])]
    for f in members:
        digest = _hash(f.path)
        if digest % every == 0:
            runs.append((f"{digest >> 32:08x}", []))
        runs[-1][1].append(f)
    return [(tag, run) for tag, run in runs if run]


def _unique(name: str, taken: dict[str, list[SeasonFile]]) -> str:
    """``name``, or ``name_2``, ``_3``… when two runs would share a name.

    Two folders whose names make the same slug (``ST 01``, ``ST-01``) both have a
    first run; two boundaries of one folder may share 32 bits of hash. Rare, but
    a shared name would otherwise drop a shard's files from the plan.
    """
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}_{n}"
    return unique


def write_manifests(plan: ShardPlan, folder: Path) -> tuple[int, int]:
    """Write each shard's manifest where its content changed; drop stale ones.

    The skipped list (:data:`SKIPPED_FILE`) is written too, empty when nothing
    was set aside, so that a rule can always name it as an input; likewise only
    when its content changed.

    Returns:
        ``(written, removed)`` manifest counts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for shard, files in plan.shards.items():
        path = folder / f"{shard}{MANIFEST_SUFFIX}"
        written += _write_if_changed(path, manifest_text(files))
    _write_if_changed(skipped_path(folder), skipped_text(list(plan.skipped)))
    stale = [p for p in folder.glob(f"*{MANIFEST_SUFFIX}") if p.stem not in plan.shards]
    for path in stale:
        path.unlink()
    return written, len(stale)


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file holds it already (keeping its timestamp)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    write_atomic(path, write)
    return True


def skipped_path(folder: Path) -> Path:
    """Where :func:`write_manifests` lists the skipped paths of the shards in
    ``folder`` (``<results>/shards``)."""
    return Path(folder) / SKIPPED_FILE


def read_skipped(folder: Path) -> list[SkippedPath]:
    """The paths the season's walk set aside, for the inventory's quarantine.

    Each has ``path`` (relative to ``images_root``; a folder or a file),
    ``reason`` (a :class:`trapline.quarantine.Reason`) and ``detail``;
    ``SkippedPath.quarantined()`` makes its quarantine row. Empty when the
    folder has no list (planned before lists were written).
    """
    path = skipped_path(folder)
    if not path.is_file():
        return []
    return read_skipped_text(path)


def plan_season(
    images_root: Path, layout: FolderLayout, max_images: int, folder: Path
) -> ShardPlan:
    """Walk the season once, plan its shards and bring the manifests up to date."""
    walk = scan_season(images_root)
    plan = plan_shards(walk.files, layout, max_images)
    plan = replace(plan, skipped=tuple(walk.skipped))
    write_manifests(plan, folder)
    return plan
