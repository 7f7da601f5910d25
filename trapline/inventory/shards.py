"""Shards: the season cut into stable chunks of images, one job each per stage.

Snakemake plans about a millisecond and 13 KB per job, so one job per image cannot
serve a million-image season; one job per stage cannot rerun only what a new card
changed. A shard is a run of files of one deployment folder (station/camera),
cut where a file's name hashes to a boundary (content-defined chunking), so adding
files to a folder changes only the shard they fall into, never the shards after
it. A run of more than ``max_images`` files between two boundaries is cut into
parts of ``max_images`` from its start, so files appended to it (a new card)
change only its last part.

Each shard has a manifest (``<results>/shards/<shard>.tsv``: path, size, mtime in
ns) that is rewritten only when its content changes: unchanged shards keep their
manifest's timestamp and Snakemake does not rerun them.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trapline.inventory.files import SeasonFile, manifest_text, walk_season
from trapline.inventory.layout import FolderLayout
from trapline.io import write_atomic

MANIFEST_SUFFIX = ".tsv"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ShardPlan:
    """Shard ids in order, and the files of each."""

    shards: dict[str, list[SeasonFile]]

    @property
    def ids(self) -> list[str]:
        return list(self.shards)

    def __len__(self) -> int:
        return len(self.shards)


def _hash(path: str) -> int:
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest())


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
        runs: list[list[SeasonFile]] = []
        for f in members:
            if not runs or _hash(f.path) % every == 0:
                runs.append([])
            runs[-1].append(f)
        for run in runs:
            for start in range(0, len(run), max_images):
                chunk = run[start : start + max_images]
                tag = _hash(chunk[0].path) >> 32
                shards[f"{_slug(station)}.{_slug(camera)}.{tag:08x}"] = chunk
    return ShardPlan(shards)


def write_manifests(plan: ShardPlan, folder: Path) -> tuple[int, int]:
    """Write each shard's manifest where its content changed; drop stale ones.

    Returns:
        ``(written, removed)`` manifest counts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for shard, files in plan.shards.items():
        path = folder / f"{shard}{MANIFEST_SUFFIX}"
        text = manifest_text(files)
        try:
            if path.read_text() == text:
                continue
        except FileNotFoundError:
            pass
        write_atomic(path, lambda tmp, text=text: Path(tmp).write_text(text))
        written += 1
    stale = [p for p in folder.glob(f"*{MANIFEST_SUFFIX}") if p.stem not in plan.shards]
    for path in stale:
        path.unlink()
    return written, len(stale)


def plan_season(
    images_root: Path, layout: FolderLayout, max_images: int, folder: Path
) -> ShardPlan:
    """Walk the season once, plan its shards and bring the manifests up to date."""
    plan = plan_shards(walk_season(images_root), layout, max_images)
    write_manifests(plan, folder)
    return plan
