"""The output contract's machinery: a table, its columns, their types and meaning.

Writers go through :meth:`Table.write`, which refuses a frame that lacks a
contracted column or holds a naive timestamp, so a stage cannot drift from the
contract silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from trapline.io import write_atomic

TIMESTAMP = "timestamp"
"""Marker type: a timezone-aware timestamp (ms) kept in the frame's own time zone."""


@dataclass(frozen=True)
class Column:
    """One contracted column: its name, Arrow type and what it means to a user."""

    name: str
    type: pa.DataType | str
    doc: str


@dataclass(frozen=True)
class Table:
    """A contracted table: where it is written, what a row is, and its columns.

    Columns beyond the contract are kept (the contract says "add columns freely"),
    after the contracted ones.
    """

    file: str
    row: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        """A frame with the contracted columns and no rows (typed where possible)."""
        return pd.DataFrame({name: pd.Series(dtype=object) for name in self.names})

    def to_arrow(self, frame: pd.DataFrame) -> pa.Table:
        """Cast ``frame`` to the contract, contracted columns first.

        Raises:
            ValueError: a contracted column is missing, or a timestamp is naive.
        """
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise ValueError(f"{self.file}: frame lacks contracted columns {missing}")
        extra = [c for c in frame.columns if c not in self.names]
        fields, arrays = [], []
        for col in self.columns:
            arrays.append(_column_array(self.file, col, frame[col.name]))
            fields.append(pa.field(col.name, arrays[-1].type))
        for name in extra:
            arrays.append(pa.array(frame[name], from_pandas=True))
            fields.append(pa.field(str(name), arrays[-1].type))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def write(self, frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
        """Write ``frame`` as Parquet atomically (temp file + rename).

        Atomic so that a killed job never leaves a half-written table that a later
        run would take for finished output.
        """
        table = self.to_arrow(frame)
        write_atomic(Path(path), lambda tmp: pq.write_table(table, tmp))

    def read(self, path: str | os.PathLike[str]) -> pd.DataFrame:
        """Read a table written by :meth:`write` back into pandas."""
        return pq.read_table(path).to_pandas()


def _column_array(table: str, col: Column, values: pd.Series) -> pa.Array:
    if col.type == TIMESTAMP:
        if not isinstance(values.dtype, pd.DatetimeTZDtype):
            if values.isna().all():
                return pa.array(values.astype("datetime64[ms, UTC]"))
            raise ValueError(f"{table}: column {col.name!r} must be timezone-aware")
        return pa.array(values.dt.as_unit("ms"))
    return pa.array(values, type=col.type, from_pandas=True)


LOCAL_TEXT = "%Y-%m-%d %H:%M:%S"
"""camtrapR's text form of a local time (its ``DateTimeOriginal``)."""


def local_text(values: pd.Series) -> pd.Series:
    """Local wall-clock time as text, ``YYYY-MM-DD HH:MM:SS``.

    Parquet keeps an instant; the time zone lives only in the Arrow schema that
    pandas and R's arrow read but nanoparquet ignores, so R users of nanoparquet
    see UTC. This text column shows every reader the local time the README
    promises, as camtrapR writes it.
    """
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    return values.dt.strftime(LOCAL_TEXT).astype(object).where(values.notna(), None)


def markdown(table: Table) -> str:
    """The README's reference block for one table (a test keeps the two equal)."""
    lines = [
        f"### `{table.file}`: one row per {table.row}",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    for col in table.columns:
        kind = "timestamp, tz-aware" if col.type == TIMESTAMP else str(col.type)
        lines.append(f"| `{col.name}` | {kind} | {col.doc} |")
    return "\n".join(lines)
