"""Folder layout: how station and camera are read from where an image sits.

Users copy SD cards into ``<station>/<camera>/…`` trees, often with the card's own
``DCIM/100RECNX`` folders below; only the leading folders carry meaning, so the
layout pattern matches a path's first folders and ignores anything deeper.

A ``{species}`` folder (``{station}/{species}``, ``{station}/{camera}/{species}``)
names the species of every animal in its images, for seasons sorted by hand.
Trees without station folders, renamed by camtrapR's ``imageRename``
(``ST01__A__2026-03-01__04-26-36(1).JPG``, or ``ST01__2026-03-01__…`` without
cameras), place each file by its name instead when its path is too shallow for
the layout.

Names are compared in Unicode NFC: macOS and some card readers write folder names
decomposed (NFD, ``u`` + combining diaeresis) while a spreadsheet keeps ``ü`` as one
character; the two look identical, so a mismatch would be a riddle to the user.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def nfc(name: str) -> str:
    """``name`` in Unicode NFC, the form station and camera names are compared in."""
    return unicodedata.normalize("NFC", name)


TOKENS = ("{station}", "{camera}", "{species}", "*")

CAMTRAPR_NAME = re.compile(
    r"^(?P<station>.+?)__(?:(?P<camera>.+?)__)?"
    r"\d{4}-\d{2}-\d{2}__\d{2}-\d{2}-\d{2}(?:\(\d+\))?\.jpe?g$",
    re.IGNORECASE,
)
"""camtrapR ``imageRename``'s file names: station, camera (when the stations
had camera folders), date, time, and a counter for images taken in one second."""


class LayoutError(ValueError):
    """The config's ``layout`` pattern cannot be used."""


@dataclass(frozen=True)
class FolderLayout:
    """A parsed ``layout`` pattern such as ``{station}/{camera}`` or ``*/{station}``.

    ``*`` matches any one folder name (e.g. a region or card-batch folder).
    """

    segments: tuple[str, ...]

    @classmethod
    def parse(cls, pattern: str) -> FolderLayout:
        """Check a pattern and build the layout.

        Raises:
            LayoutError: naming the pattern and what is wrong with it.
        """
        segments = tuple(s for s in pattern.strip("/").split("/") if s)
        bad = [s for s in segments if s not in TOKENS]
        if bad:
            raise LayoutError(
                f"config key 'layout': {pattern!r} has unknown parts {bad}; "
                "use folders of '{station}', '{camera}', '{species}' or '*', "
                "e.g. '{station}/{camera}'"
            )
        if (
            segments.count("{station}") != 1
            or segments.count("{camera}") > 1
            or segments.count("{species}") > 1
        ):
            raise LayoutError(
                f"config key 'layout': {pattern!r} must name {{station}} exactly "
                "once and {camera} and {species} at most once"
            )
        return cls(segments)

    @property
    def has_camera(self) -> bool:
        return "{camera}" in self.segments

    def locate(self, relpath: str) -> tuple[str, str | None] | None:
        """Station and camera of a file (NFC), or None when the path is too shallow.

        Args:
            relpath: path relative to ``images_root`` with ``/`` separators.
        """
        folders = relpath.split("/")[:-1]
        if len(folders) < len(self.segments):
            return camtrapr_name(relpath)
        found = dict(zip(self.segments, map(nfc, folders), strict=False))
        return found["{station}"], found.get("{camera}")

    def species(self, relpath: str) -> str | None:
        """The ``{species}`` folder of a file (NFC), or None without one."""
        if "{species}" not in self.segments:
            return None
        folders = relpath.split("/")[:-1]
        if len(folders) < len(self.segments):
            return None
        return nfc(folders[self.segments.index("{species}")])

    def describe(self) -> str:
        return (
            "/".join(self.segments)
            + "/… or a camtrapR file name such as ST01__A__2026-03-01__04-26-36(1).JPG"
        )


def camtrapr_name(relpath: str) -> tuple[str, str | None] | None:
    """Station and camera from a camtrapR-renamed file name, else None."""
    match = CAMTRAPR_NAME.match(relpath.rsplit("/", 1)[-1])
    if match is None:
        return None
    return nfc(match["station"]), None if match["camera"] is None else nfc(
        match["camera"]
    )
