"""EXIF through exiftool in batch mode.

exiftool reads every maker's notes (Reconyx trigger mode, sequence, temperature)
but costs ~0.1 s to start; one process per file caps a season at a few images per
second. Here each worker keeps one exiftool running with ``-stay_open`` (via
PyExifTool) and hands it hundreds of files per call, and several workers run side by
side so all cores are busy. exiftool's own per-file errors are kept and reported,
not discarded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import exiftool
import pandas as pd

log = logging.getLogger(__name__)

TAGS = (
    "DateTimeOriginal",
    "SubSecTimeOriginal",
    "OffsetTimeOriginal",
    "CreateDate",
    "SubSecTimeDigitized",
    "OffsetTimeDigitized",
    "Make",
    "Model",
    "SerialNumber",
    "ImageWidth",
    "ImageHeight",
    "Orientation",
    "TriggerMode",
    "Sequence",
    "AmbientTemperature",
    "HierarchicalSubject",
    "TagsList",
    "Subject",
    "Keywords",
)
"""Tags asked for. Values come raw (``-n``: numbers, maker codes such as Reconyx
``M``/``T`` trigger modes) since print conversion costs a fifth of exiftool's time;
``-fast`` skips the scan for trailers, which :mod:`trapline.inventory.jpeg` checks
itself. ``Orientation`` (1-8 with ``-n``) is read because the detector and the
cropper turn every frame upright first, so the inventory's width and height must be
those of the upright frame (:func:`oriented_size`). The keyword tags carry the
species and individuals people tagged (:mod:`trapline.inventory.keywords`)."""

TURNED = frozenset({5, 6, 7, 8})
"""EXIF orientations that turn the frame by 90° (width and height swap)."""

GROUP_PRIORITY = ("EXIF", "MakerNotes", "File", "XMP", "Composite")


@dataclass(frozen=True)
class ExifRecord:
    """What exiftool said about one file: tags (group prefix dropped) or an error."""

    path: str
    tags: dict[str, object]
    error: str | None = None

    def get(self, name: str) -> object | None:
        return self.tags.get(name)


class ExifReader:
    """A pool of long-lived exiftool processes.

    Use as a context manager; call :meth:`read` with absolute paths.

    Args:
        workers: exiftool processes running side by side (one per core).
        batch_size: most files per exiftool call; large enough to amortise the
            call, small enough that progress moves.
    """

    def __init__(self, workers: int = 1, batch_size: int = 1000) -> None:
        self.workers = max(1, workers)
        self.batch_size = batch_size
        self._tools: list[exiftool.ExifToolHelper] = []

    def __enter__(self) -> ExifReader:
        for _ in range(self.workers):
            tool = exiftool.ExifToolHelper(
                check_execute=False,
                common_args=["-G", "-n", "-fast", "-charset", "filename=utf8"],
            )
            tool.run()
            self._tools.append(tool)
        return self

    def __exit__(self, *exc: object) -> None:
        for tool in self._tools:
            tool.terminate()
        self._tools.clear()

    def read(
        self,
        paths: Sequence[str],
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[ExifRecord]:
        """Yield one record per path, in batch order (not necessarily input order).

        Args:
            paths: files to read.
            progress: called with the number of files finished after each batch.
        """
        if not self._tools:
            raise RuntimeError("ExifReader must be used inside a `with` block")
        # Enough batches that every worker stays busy to the end, none so small
        # that the per-call overhead shows.
        size = max(50, min(self.batch_size, -(-len(paths) // (self.workers * 8))))
        batches = [list(paths[i : i + size]) for i in range(0, len(paths), size)]
        free = list(self._tools)
        with ThreadPoolExecutor(self.workers) as pool:

            def run(batch: list[str]) -> list[ExifRecord]:
                tool = free.pop()
                try:
                    return _read_batch(tool, batch)
                finally:
                    free.append(tool)

            for records in pool.map(run, batches):
                yield from records
                if progress:
                    progress(len(records))


def _read_batch(tool: exiftool.ExifToolHelper, batch: list[str]) -> list[ExifRecord]:
    try:
        rows = tool.execute_json(*[f"-{t}" for t in TAGS], *batch)
    except exiftool.exceptions.ExifToolOutputEmptyError:
        rows = []
    found = {row["SourceFile"]: row for row in rows}
    stderr = (tool.last_stderr or "").strip()
    records = []
    for path in batch:
        row = found.get(path)
        if row is None:
            records.append(ExifRecord(path, {}, _stderr_for(stderr, path)))
            continue
        tags = _flatten(row)
        error = tags.pop("Error", None)
        records.append(ExifRecord(path, tags, None if error is None else str(error)))
    return records


def tag_column(tags: pd.DataFrame, name: str) -> pd.Series:
    """One tag across images as text (None where absent), whatever exiftool typed it."""
    if name not in tags.columns:
        return pd.Series(None, index=tags.index, dtype=object)
    values = tags[name]
    return values.where(values.isna(), values.astype(str))


def oriented_size(
    width: pd.Series, height: pd.Series, orientation: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Width and height of the frame as shown upright (PIL's ``exif_transpose``).

    Stored pixels are unrotated; orientations 5-8 turn them by 90°, so a 640x360
    frame tagged 6 is seen, detected and cropped as 360x640. Boxes are fractions
    of that upright frame, so placing them with the stored size would be wrong.
    """
    turned = pd.to_numeric(orientation, errors="coerce").isin(TURNED)
    return width.where(~turned, height), height.where(~turned, width)


def _flatten(row: dict[str, object]) -> dict[str, object]:
    """Drop group prefixes, keeping the value from the most trusted group."""
    best: dict[str, tuple[int, object]] = {}
    for key, value in row.items():
        group, _, name = key.rpartition(":")
        rank = (
            GROUP_PRIORITY.index(group)
            if group in GROUP_PRIORITY
            else len(GROUP_PRIORITY)
        )
        if name not in best or rank < best[name][0]:
            best[name] = (rank, value)
    return {name: value for name, (_, value) in best.items()}


def _stderr_for(stderr: str, path: str) -> str:
    lines = [line for line in stderr.splitlines() if path in line]
    return lines[0] if lines else f"exiftool returned nothing for this file {stderr}"
