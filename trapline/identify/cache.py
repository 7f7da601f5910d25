"""The identify cache (``identify/cache/``): written whole, read or recomputed.

Every file here is only a shortcut: backgrounds, features and inlier counts can
always be computed again. So a file is written atomically (a temporary file in
the same folder renamed onto its name, :func:`trapline.io.write_atomic`), and a
file that cannot be read (a torn copy from before that rule, a full disk, a
stray edit) counts as absent: the run logs a warning and recomputes it instead of
failing every later run on it.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from trapline.io import write_atomic

log = logging.getLogger(__name__)

UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    OSError,
    KeyError,
    pa.ArrowException,
)
"""What reading a torn or foreign cache file raises (numpy's zip, pyarrow)."""


def save_npz(path: Path, compressed: bool = False, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` atomically.

    The arrays go through an open file: given a name, ``np.savez`` appends
    ``.npz`` to a temporary name not ending in it and would write beside it.
    """

    def writer(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            (np.savez_compressed if compressed else np.savez)(handle, **arrays)

    write_atomic(path, writer)


def load_npz(path: Path | None) -> dict[str, np.ndarray] | None:
    """Every array of ``path``, or None when it is absent or unreadable."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except UNREADABLE as exc:
        _unreadable(path, exc)
        return None


def load_parquet(path: Path | None, columns: list[str]) -> pd.DataFrame | None:
    """``columns`` of the table at ``path``, or None when absent or unreadable."""
    if path is None or not path.is_file():
        return None
    try:
        return pd.read_parquet(path, columns=columns)
    except UNREADABLE as exc:
        _unreadable(path, exc)
        return None


def save_parquet(path: Path, table: pd.DataFrame) -> None:
    write_atomic(path, lambda tmp: table.to_parquet(tmp, index=False))


def _unreadable(path: Path, exc: BaseException) -> None:
    log.warning(
        "cache file %s is unreadable (%s: %s); recomputing it",
        path,
        type(exc).__name__,
        exc,
    )
