"""The season's files: one walk of ``images_root``, and shard manifests of it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SeasonFile:
    """A file found under ``images_root``."""

    path: str
    size: int
    mtime_ns: int


def walk_season(images_root: Path) -> list[SeasonFile]:
    """Every file below ``images_root``, with size and mtime, in one walk.

    One ``os.scandir`` pass per folder and one ``stat`` per file (on Linux the
    listing carries only the file type); at a million files that is about 4 s
    of the planning time (see docs/benchmarks.md).
    """
    found: list[SeasonFile] = []
    stack = [(Path(images_root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=True):
                    stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=True):
                    st = entry.stat(follow_symlinks=True)
                    found.append(SeasonFile(rel, st.st_size, st.st_mtime_ns))
    found.sort(key=lambda f: f.path)
    return found


def manifest_text(files: list[SeasonFile]) -> str:
    """A shard's manifest: one ``path<TAB>size<TAB>mtime_ns`` line per file."""
    return "".join(f"{f.path}\t{f.size}\t{f.mtime_ns}\n" for f in files)


def read_manifest(path: str | Path) -> list[SeasonFile]:
    """The files a manifest lists."""
    files = []
    for line in Path(path).read_text().splitlines():
        rel, size, mtime = line.rsplit("\t", 2)
        files.append(SeasonFile(rel, int(size), int(mtime)))
    return files


JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})


def image_id(path: str) -> str:
    """A stable id from the relative path: unchanged by reruns and new cards."""
    return hashlib.sha1(path.encode()).hexdigest()[:16]
