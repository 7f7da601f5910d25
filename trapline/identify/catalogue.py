"""The catalogue of known individuals: reference images with identity and flank.

Programmes keep their known animals either as folders (``catalogue/<individual>/
*.jpg``, flank from a ``left``/``right`` token in the file name) or as a table
(``path, individual_id, flank`` and optionally a box). Both read into one frame.
Left and right flanks carry different patterns, so the flank is part of every
reference and matching never compares one flank with the other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FLANKS = ("left", "right")
REVIEWED = "review:"
"""Prefix of reference ids of crops a person confirmed (kept apart from crop ids):
they are references for matching, never for calibration."""
_FLANK_TOKEN = re.compile(r"(?:^|[^a-z])(left|right|l|r)(?:[^a-z]|$)", re.IGNORECASE)
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


class CatalogueError(ValueError):
    """The catalogue cannot be read as it is."""


def flank_from_name(name: str) -> str | None:
    """``left``/``right`` from a name token (``LYX001_left_1.jpg``, ``_L_``)."""
    match = _FLANK_TOKEN.search(Path(name).stem)
    if not match:
        return None
    token = match.group(1).lower()
    return "left" if token.startswith("l") else "right"


def read_catalogue(source: str | Path) -> pd.DataFrame:
    """Read a catalogue folder or CSV.

    Returns:
        One row per reference image: ``ref_id`` (the image's path relative to the
        catalogue folder or table, ``/``-separated: stable when the catalogue
        moves to another machine or folder, so results and caches keyed by it
        stay valid), ``individual_id``,
        ``flank`` (``left``/``right``/``unknown``), ``path`` (absolute), and
        ``bbox_x, bbox_y, bbox_w, bbox_h`` (the animal within the image, fractions;
        the whole image when not given).

    Raises:
        CatalogueError: naming the file and what to fix.
    """
    source = Path(source)
    base = source.resolve() if source.is_dir() else source.resolve().parent
    if source.is_dir():
        frame = _from_folders(source)
    elif source.is_file():
        frame = _from_table(source)
    else:
        raise CatalogueError(
            f"config key 'identify.catalogue' = {str(source)!r}: no such folder or CSV"
        )
    for column, default in (
        ("bbox_x", 0.0),
        ("bbox_y", 0.0),
        ("bbox_w", 1.0),
        ("bbox_h", 1.0),
    ):
        if column not in frame:
            frame[column] = default
        frame[column] = frame[column].fillna(default).astype(float)
    frame["flank"] = frame["flank"].fillna("unknown")
    frame["ref_id"] = [_relative_id(Path(p), base) for p in frame["path"]]
    columns = ["ref_id", "individual_id", "flank", "path"]
    columns += ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    return frame[columns].sort_values("ref_id", ignore_index=True)


def _relative_id(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` (a table may also list images elsewhere)."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _from_folders(root: Path) -> pd.DataFrame:
    rows = [
        {
            "individual_id": folder.name,
            "flank": flank_from_name(image.name),
            "path": str(image.resolve()),
        }
        for folder in sorted(p for p in root.iterdir() if p.is_dir())
        for image in sorted(folder.iterdir())
        if image.suffix.lower() in _IMAGE_SUFFIXES
    ]
    if not rows:
        raise CatalogueError(
            f"catalogue folder {root} holds no <individual_id>/*.jpg images"
        )
    return pd.DataFrame(rows)


def _from_table(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"individual_id": str, "path": str, "flank": str})
    missing = {"path", "individual_id"} - set(frame.columns)
    if missing:
        raise CatalogueError(
            f"catalogue table {path}: missing column(s) {sorted(missing)}; it needs "
            "path, individual_id and optionally flank, bbox_x, bbox_y, bbox_w, bbox_h"
        )
    if "flank" not in frame:
        frame["flank"] = frame["path"].map(flank_from_name)
    bad = ~frame["flank"].isna() & ~frame["flank"].str.lower().isin(FLANKS)
    if bad.any():
        row = int(bad.idxmax()) + 2
        raise CatalogueError(
            f"catalogue table {path}, line {row}: flank "
            f"{frame.loc[bad.idxmax(), 'flank']!r}; write left, right or leave empty"
        )
    frame["flank"] = frame["flank"].str.lower()
    frame["path"] = [str((path.parent / p).resolve()) for p in frame["path"]]
    absent = [p for p in frame["path"] if not Path(p).is_file()]
    if absent:
        raise CatalogueError(
            f"catalogue table {path}: {len(absent)} image(s) not found, "
            f"e.g. {absent[0]}"
        )
    return frame
