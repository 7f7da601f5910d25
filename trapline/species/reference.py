"""The few-shot reference folder: ``species_reference/<species>/*.jpg``.

Programmes usually have a few dozen labelled pictures of each species that walks
past their cameras; a folder per species is the least work to keep. Underscores
in a folder name stand for spaces, so ``Lynx_lynx`` is ``Lynx lynx``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


class ReferenceError(ValueError):
    """The species reference folder cannot be used as it is."""


def read_reference(folder: str | Path) -> pd.DataFrame:
    """One row per reference image: ``ref_id`` (its path), ``species``, ``path``.

    Boxes are the whole image (``bbox_*``), as crops are.

    Raises:
        ReferenceError: naming the folder and what to fix.
    """
    root = Path(folder)
    key = "config key 'species.reference'"
    if not root.is_dir():
        raise ReferenceError(f"{key} = {str(root)!r}: no such folder")
    rows = [
        {"species": sub.name.replace("_", " "), "path": str(image.resolve())}
        for sub in sorted(p for p in root.iterdir() if p.is_dir())
        for image in sorted(sub.iterdir())
        if image.suffix.lower() in _IMAGE_SUFFIXES
    ]
    frame = pd.DataFrame(rows, columns=["species", "path"])
    if frame["species"].nunique() < 2:
        raise ReferenceError(
            f"{key} = {str(root)!r}: needs images in at least two species folders "
            "(<folder>/<species>/*.jpg); one species alone cannot tell animals apart"
        )
    frame["ref_id"] = frame["path"]
    for column, default in (("bbox_x", 0.0), ("bbox_y", 0.0)):
        frame[column] = default
    for column in ("bbox_w", "bbox_h"):
        frame[column] = 1.0
    columns = ["ref_id", "species", "path", "bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    return frame[columns].sort_values("ref_id", ignore_index=True)
