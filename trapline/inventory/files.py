"""The season's files: one walk of ``images_root``, and shard manifests of it.

The walk follows symbolic links, because cards are often linked in from other
drives, but lists every real folder once: a folder reached a second time (a link
to a folder the season already holds, a link loop, a bind mount) would make each
of its images a second image, at a second station if the link sits there, and a
loop would never end. What the walk cannot list (an unreadable folder, a link to
nowhere) or lists once elsewhere is returned as a :class:`SkippedPath`, so that
the inventory can quarantine it instead of the plan failing or the files
silently vanishing.

Manifests and the skipped list are tab-separated text, one line per path. A path
may hold any character but ``/`` and NUL, so a field that holds a tab, a line
break, another control character or a lone surrogate (a name that is not UTF-8),
or that starts with ``"``, is written as a JSON string; every other field is
written as it is, so manifests of ordinary names are the same bytes as before.
"""

from __future__ import annotations

import errno
import hashlib
import heapq
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from trapline.quarantine import Quarantined, Reason


@dataclass(frozen=True)
class SeasonFile:
    """A file found under ``images_root``."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedPath:
    """A path under ``images_root`` whose files are not in the season's manifests.

    ``path`` is relative to ``images_root`` (``/``-separated) and may name a folder
    (``unreadable_folder``, ``duplicate_link``, ``broken_link``) or a file.
    """

    path: str
    reason: Reason
    detail: str

    def quarantined(self, stage: str = "inventory") -> Quarantined:
        """The quarantine row of this path (station and camera left to the caller)."""
        return Quarantined(self.path, stage, self.reason, self.detail)


@dataclass(frozen=True)
class SeasonWalk:
    """What one walk of ``images_root`` found, each list sorted by path."""

    files: list[SeasonFile]
    skipped: list[SkippedPath]


def walk_season(images_root: Path) -> list[SeasonFile]:
    """Every file below ``images_root``, with size and mtime, in one walk.

    The files of :func:`scan_season`; use that where the skipped paths must be
    accounted for (the shard plan does).
    """
    return scan_season(images_root).files


def scan_season(images_root: Path) -> SeasonWalk:
    """Every file below ``images_root`` once, and the paths the walk set aside.

    One ``os.scandir`` pass per folder and one ``stat`` per file (on Linux the
    listing carries only the file type); at a million files that is about 4 s
    of the planning time (see docs/benchmarks.md).

    Every real folder is listed once, known by ``(st_dev, st_ino)``. The folders
    reached without a symbolic link are all walked first, then symlinked folders
    in path order (and their own links after their real sub-folders), so a
    folder reachable both ways is always listed under its real path and the
    result does not depend on the order the file system lists names in. A
    symlinked file is kept unless its target is listed in a folder of the
    season, or an earlier link (in path order) already gave it.

    Raises:
        OSError: ``images_root`` itself cannot be listed (nothing to plan).
    """
    return _Walk(Path(images_root)).run()


NOT_UTF8 = (
    "the file or folder name is not valid UTF-8 (written by another system's "
    "encoding); tables cannot hold it, so its files are in no table: rename it "
    "(e.g. `convmv -f latin1 -t utf8`) and rerun"
)


def _utf8(name: str) -> bool:
    """Whether a name from the file system is valid UTF-8 (no escaped bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(path: str) -> str:
    """A path with undecodable bytes written as ``\\xNN`` (for the quarantine)."""
    raw = path.encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "backslashreplace")


_Key = tuple[int, int]


class _Walk:
    """The state of one :func:`scan_season`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[SeasonFile] = []
        self.skipped: list[SkippedPath] = []
        self.listed: dict[_Key, str] = {}  # folder identity -> path it was listed as
        self.folder_links: list[tuple[str, str]] = []  # heap of (rel, os path)
        self.file_links: list[tuple[str, str, os.stat_result]] = []

    def run(self) -> SeasonWalk:
        self.tree(str(self.root), "")
        while self.folder_links:
            rel, path = heapq.heappop(self.folder_links)
            self.tree(path, rel)
        self.keep_file_links()
        self.files.sort(key=lambda f: f.path)
        self.skipped.sort(key=lambda s: s.path)
        return SeasonWalk(self.files, self.skipped)

    def skip(self, rel: str, reason: Reason, detail: str) -> None:
        self.skipped.append(SkippedPath(rel, reason, detail))

    def tree(self, path: str, rel: str) -> None:
        """List ``path`` and its real sub-folders, depth first in name order."""
        stack = [(path, rel)]
        while stack:
            folder, folder_rel = stack.pop()
            stack.extend(reversed(self.folder(folder, folder_rel)))

    def folder(self, path: str, rel: str) -> list[tuple[str, str]]:
        """Note one folder's files and links; return its real sub-folders."""
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in self.listed:
                self.skip(rel, Reason.DUPLICATE_LINK, _same_as(rel, self.listed[key]))
                return []
            with os.scandir(path) as listing:
                entries = list(listing)
        except OSError as err:
            if not rel:
                raise
            self.skip(rel, Reason.UNREADABLE_FOLDER, _why(err))
            return []
        self.listed[key] = rel
        prefix = f"{rel}/" if rel else ""
        subfolders = []
        found = self.files.append  # files are sorted once at the end
        for entry in entries:
            if not _utf8(entry.name):
                self.skip(_printable(prefix + entry.name), Reason.UNREADABLE, NOT_UTF8)
                continue
            try:
                if entry.is_symlink():
                    self.link(entry, prefix + entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    subfolders.append((entry.path, prefix + entry.name))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found(SeasonFile(prefix + entry.name, st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                continue  # removed since the listing: not part of the season
            except OSError as err:
                self.skip(prefix + entry.name, Reason.UNREADABLE, _why(err))
        subfolders.sort(key=lambda folder: folder[1])  # name order, not the disk's
        return subfolders

    def link(self, entry: os.DirEntry, rel: str) -> None:
        """A symbolic link: a folder to walk later, a file to decide on, or broken."""
        try:
            st = entry.stat(follow_symlinks=True)
        except OSError as err:
            if isinstance(err, FileNotFoundError):
                detail = f"points to {_target(entry.path)!r}, which does not exist"
            elif err.errno == errno.ELOOP:
                detail = "a loop of symbolic links"
            else:
                detail = f"{_target(entry.path)!r}: {_why(err)}"
            self.skip(rel, Reason.BROKEN_LINK, detail)
            return
        if stat.S_ISDIR(st.st_mode):
            heapq.heappush(self.folder_links, (rel, entry.path))
        elif stat.S_ISREG(st.st_mode):
            self.file_links.append((rel, entry.path, st))

    def keep_file_links(self) -> None:
        """Keep the symlinked files whose target the season does not list already."""
        given: dict[_Key, str] = {}
        for rel, path, st in sorted(self.file_links, key=lambda link: link[0]):
            key = (st.st_dev, st.st_ino)
            first = given.get(key) or self.listed_as(path)
            if first is not None:
                self.skip(rel, Reason.DUPLICATE_LINK, _same_as(rel, first, "file"))
                continue
            given[key] = rel
            self.files.append(SeasonFile(rel, st.st_size, st.st_mtime_ns))

    def listed_as(self, link: str) -> str | None:
        """The season path of a link's target file, if its folder was listed."""
        try:
            target = os.path.realpath(link)
            parent = os.stat(os.path.dirname(target))
        except OSError:
            return None
        folder = self.listed.get((parent.st_dev, parent.st_ino))
        if folder is None:
            return None
        name = os.path.basename(target)
        return f"{folder}/{name}" if folder else name


def _target(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "?"


def _why(err: OSError) -> str:
    return f"{type(err).__name__}: {err.strerror or err}"


def _same_as(rel: str, first: str, kind: str = "folder") -> str:
    shown = first or "."
    if not first or rel.startswith(f"{first}/"):
        return f"a symbolic link loop back to {shown!r}"
    return f"the same {kind} as {shown!r}, listed under that path"


_NEEDS_JSON = re.compile("[\x00-\x1f\x85\u2028\u2029\ud800-\udfff]")
_ODD_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x85\u2028\u2029\ud800-\udfff]")
_JSON = json.JSONDecoder()


def encode_field(text: str) -> str:
    """``text`` as one field of a tab-separated line, as it is when that is safe."""
    if text.isprintable() and not text.startswith('"'):
        return text  # the common case, without a regex
    if text.startswith('"') or _NEEDS_JSON.search(text):
        return json.dumps(text)
    return text


def decode_fields(line: str) -> list[str]:
    """The fields of one line of :func:`encode_field` fields joined by tabs."""
    fields, at = [], 0
    while True:
        if line.startswith('"', at):
            value, at = _JSON.raw_decode(line, at)
        else:
            end = line.find("\t", at)
            end = len(line) if end < 0 else end
            value, at = line[at:end], end
        fields.append(value)
        if at == len(line):
            return fields
        if line[at] != "\t":
            raise ValueError(f"no tab after field {len(fields)}: {line!r}")
        at += 1


def _lines(path: str | Path) -> list[str]:
    """A file's lines, split at ``\\n`` only (``str.splitlines`` also splits at
    characters a file name may hold)."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    return [line for line in text.split("\n") if line]


def manifest_text(files: list[SeasonFile]) -> str:
    """A shard's manifest: one ``path<TAB>size<TAB>mtime_ns`` line per file."""
    text = "".join(f"{f.path}\t{f.size}\t{f.mtime_ns}\n" for f in files)
    if (  # no name needs quoting: checked on the whole text, in C
        text.count("\n") == len(files)
        and text.count("\t") == 2 * len(files)
        and not text.startswith('"')
        and '\n"' not in text
        and (
            text.replace("\t", "").replace("\n", "").isprintable()
            or not _ODD_IN_TEXT.search(text)
        )
    ):
        return text
    return "".join(f"{encode_field(f.path)}\t{f.size}\t{f.mtime_ns}\n" for f in files)


def read_manifest(path: str | Path) -> list[SeasonFile]:
    """The files a manifest lists (the exact inverse of :func:`manifest_text`)."""
    files = []
    for line in _lines(path):
        if line.startswith('"'):
            fields = decode_fields(line)
            if len(fields) != 3:
                raise ValueError(f"{path}: not path, size, mtime: {line!r}")
            rel, size, mtime = fields
        else:
            rel, size, mtime = line.rsplit("\t", 2)
        files.append(SeasonFile(rel, int(size), int(mtime)))
    return files


def skipped_text(skipped: list[SkippedPath]) -> str:
    """The skipped list: one ``path<TAB>reason<TAB>detail`` line per path."""
    return "".join(
        f"{encode_field(s.path)}\t{s.reason.value}\t{encode_field(s.detail)}\n"
        for s in skipped
    )


def read_skipped_text(path: str | Path) -> list[SkippedPath]:
    """The paths a skipped list names (the exact inverse of :func:`skipped_text`)."""
    skipped = []
    for line in _lines(path):
        fields = decode_fields(line)
        if len(fields) != 3:
            raise ValueError(f"{path}: not path, reason, detail: {line!r}")
        skipped.append(SkippedPath(fields[0], Reason(fields[1]), fields[2]))
    return skipped


JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})


def image_id(path: str) -> str:
    """A stable id from the relative path: unchanged by reruns and new cards.

    ``surrogateescape`` gives a name that is not UTF-8 its bytes on disk back
    (and changes nothing for any other name).
    """
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:16]
