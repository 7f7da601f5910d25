"""The stations table: where each camera stood, when it ran, how wrong its clock was.

It accepts camtrapR's CTtable conventions (``Station``, ``Camera``, ``utm_x``,
``utm_y``, ``Setup_date``, ``Retrieval_date``, ``ProblemN_from``/``ProblemN_to``) so
programmes can reuse the tables they keep, plus a ``Clock_offset`` column: the
signed duration to ADD to a camera's clock to get the true time. Offsets are applied
to the times trapline reads, never written into the images (camtrapR rewrites
files to fix clocks; originals stay untouched here).

Every problem is reported with the file, the row, the column and the fix, because
the person reading it is editing a spreadsheet, not Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trapline.inventory.layout import nfc

PROBLEM_COLUMN = re.compile(r"^Problem(\d+)_(from|to)$")

DEPLOYMENT_COLUMNS = (
    "deployment_id",
    "station",
    "camera",
    "session",
    "x",
    "y",
    "setup",
    "retrieval",
    "window_start",
    "window_end",
    "clock_offset",
    "problems",
)
"""What :func:`read_stations` gives each deployment; other columns are covariates."""

HEADER_EXAMPLE = ("Station", "Camera", "utm_x", "utm_y", "Setup_date", "Retrieval_date")
"""The smallest camtrapR CTtable header, named when a table is empty."""


class StationsError(ValueError):
    """The stations table cannot be used as it is."""


@dataclass(frozen=True)
class StationColumns:
    """Column names in the user's stations table (config ``stations_columns``)."""

    station: str = "Station"
    camera: str = "Camera"
    x: str = "utm_x"
    y: str = "utm_y"
    setup: str = "Setup_date"
    retrieval: str = "Retrieval_date"
    clock_offset: str = "Clock_offset"
    session: str = "Session"


def deployment_id(station: str, camera: str | None) -> str:
    """The id of one stations-table row: ``station`` or ``station__camera``."""
    return station if camera is None else f"{station}__{camera}"


def read_stations(
    path: str | Path,
    timezone: str,
    columns: StationColumns = StationColumns(),
    date_format: str | None = None,
) -> pd.DataFrame:
    """Read and check the stations table.

    Args:
        path: CSV file, one row per station (or per station × camera).
        timezone: IANA name the dates are local to.
        columns: the table's column names.
        date_format: strptime format of the dates; None for ISO 8601
            (``2026-03-01`` or ``2026-03-01 14:30``).

    Returns:
        One row per deployment: ``deployment_id, station, camera, session, x, y,
        setup, retrieval, window_start, window_end, clock_offset, problems`` where
        a date-only setup opens the window at 00:00 and a date-only retrieval
        closes it at the end of that day; ``problems`` is a list of (start, end)
        pairs, a date-only ``ProblemN_to`` ending at the end of that day (as in
        camtrapR); ``session`` is the ``Session`` column, or ``"1"`` without one.

    Raises:
        StationsError: naming the file, row, column and fix.
    """
    path = Path(path)
    if not path.is_file():
        raise StationsError(
            f"stations table {path} does not exist; set config key 'stations' to "
            "your CTtable CSV"
        )
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise StationsError(
            f"stations table {path} is empty; it needs a header row "
            f"({', '.join(HEADER_EXAMPLE)}) and one row per station"
        ) from None
    return _Reader(path, raw, timezone, columns, date_format).deployments()


@dataclass
class _Reader:
    path: Path
    raw: pd.DataFrame
    timezone: str
    cols: StationColumns
    date_format: str | None

    def fail(self, row: int | None, message: str) -> StationsError:
        where = f"stations table {self.path}" + (
            "" if row is None else f", row {row + 2} (line in the file)"
        )
        return StationsError(f"{where}: {message}")

    def require(self, *names: str) -> None:
        missing = [n for n in names if n not in self.raw.columns]
        if missing:
            raise self.fail(
                None,
                f"missing column(s) {missing}; found {list(self.raw.columns)}. Rename "
                "them or map them with config key 'stations_columns'",
            )

    def coordinate_columns(self) -> tuple[str, str]:
        for x, y in ((self.cols.x, self.cols.y), ("x", "y")):
            if x in self.raw.columns and y in self.raw.columns:
                return x, y
        raise self.fail(
            None,
            f"no coordinate columns: need {self.cols.x!r}/{self.cols.y!r} or "
            "'x'/'y' (projected metres)",
        )

    def deployments(self) -> pd.DataFrame:
        c = self.cols
        self.require(c.station, c.setup, c.retrieval)
        xcol, ycol = self.coordinate_columns()
        if self.raw.empty:
            raise self.fail(None, "has a header but no rows; add one row per station")
        has_camera = c.camera in self.raw.columns
        has_session = c.session in self.raw.columns
        rows = []
        for i, rec in enumerate(self.raw.to_dict("records")):
            # NFC, as the layout reads folder names (see trapline.inventory.layout).
            station = nfc(rec[c.station].strip())
            if not station:
                raise self.fail(i, f"column {c.station!r} is empty")
            camera = (nfc(rec[c.camera].strip()) or None) if has_camera else None
            setup, setup_is_date = self.date(i, c.setup, rec[c.setup])
            retrieval, retrieval_is_date = self.date(i, c.retrieval, rec[c.retrieval])
            end = retrieval + pd.Timedelta(days=1) if retrieval_is_date else retrieval
            if end <= setup:
                raise self.fail(i, f"{c.retrieval!r} is not after {c.setup!r}")
            session = rec[c.session].strip() if has_session else "1"
            if not session:
                raise self.fail(i, f"column {c.session!r} is empty")
            rows.append(
                {
                    "deployment_id": deployment_id(station, camera),
                    "station": station,
                    "camera": camera,
                    "session": session,
                    "x": self.number(i, xcol, rec[xcol]),
                    "y": self.number(i, ycol, rec[ycol]),
                    "setup": setup,
                    "retrieval": retrieval,
                    "window_start": setup,
                    "window_end": end,
                    "clock_offset": self.offset(i, rec.get(c.clock_offset, "")),
                    "problems": self.problems(i, rec),
                    **self.covariates(rec),
                }
            )
        frame = pd.DataFrame(rows)
        self.check_projected(frame, xcol, ycol)
        dup = frame["deployment_id"].duplicated(keep=False)
        if dup.any():
            twice = sorted(set(frame["deployment_id"][dup]))
            raise self.fail(
                None,
                f"deployments listed twice: {twice}; "
                f"give each {c.station!r}"
                + (f"/{c.camera!r}" if has_camera else "")
                + " one row",
            )
        return frame

    def check_projected(self, frame: pd.DataFrame, xcol: str, ycol: str) -> None:
        """Refuse coordinates that look like degrees: trap spacing, home ranges and
        the Camtrap DP positions all take x/y as projected metres, and degrees read
        as metres put every camera within a few metres of (0, 0).

        Degrees here: every |x| ≤ 180 and |y| ≤ 90 with some fractional value.
        Whole numbers in that range are a small local grid (or placeholders) in
        metres, which is legitimate; no one writes camera positions in whole
        degrees.
        """
        x, y = frame["x"], frame["y"]
        small = (x.abs() <= 180).all() and (y.abs() <= 90).all()
        fractional = ((x % 1 != 0) | (y % 1 != 0)).any()
        if small and fractional:
            raise self.fail(
                None,
                f"{xcol!r}/{ycol!r} look like degrees of longitude/latitude (all "
                "within ±180/±90); they must be projected metres (e.g. UTM). "
                "Project them (camtrapR, sf::st_transform, QGIS) and set config key "
                "'stations_crs' to the projection",
            )

    def covariates(self, rec: dict[str, str]) -> dict[str, str | None]:
        """The table's other columns, as written (camtrapR's station covariates)."""
        read = set(vars(self.cols).values()) | {"x", "y", "utm_x", "utm_y"}
        out = {}
        for name, value in rec.items():
            if name in read or PROBLEM_COLUMN.match(name):
                continue
            if name in DEPLOYMENT_COLUMNS:
                raise self.fail(
                    None,
                    f"column {name!r} is a name trapline gives its own deployment "
                    "column; rename it (e.g. 'cov_" + name + "')",
                )
            out[name] = value.strip() or None
        return out

    def date(self, row: int, column: str, value: str) -> tuple[pd.Timestamp, bool]:
        value = value.strip()
        fmt = self.date_format or "ISO8601"
        try:
            stamp = pd.to_datetime(value, format=fmt)
        except (ValueError, TypeError):
            stamp = pd.NaT
        if pd.isna(stamp):
            expected = self.date_format or "YYYY-MM-DD or YYYY-MM-DD HH:MM"
            raise self.fail(
                row,
                f"{column!r} = {value!r} is not a date in the format {expected}; fix "
                "the cell or set config key 'stations_date_format'",
            ) from None
        is_date = stamp == stamp.normalize() and len(value) <= 10
        return stamp.tz_localize(self.timezone), is_date

    def number(self, row: int, column: str, value: str) -> float:
        try:
            return float(value)
        except ValueError:
            raise self.fail(
                row, f"{column!r} = {value!r} is not a number (projected metres)"
            ) from None

    def offset(self, row: int, value: str) -> pd.Timedelta:
        value = value.strip()
        if not value:
            return pd.Timedelta(0)
        try:
            return pd.Timedelta(float(value), unit="s")
        except ValueError:
            pass
        try:
            return pd.Timedelta(value)
        except ValueError:
            raise self.fail(
                row,
                f"{self.cols.clock_offset!r} = {value!r} is not a duration; write "
                "e.g. '-02:00:00', '+1h30min' or seconds such as '5400'",
            ) from None

    def problems(self, row: int, rec: dict[str, str]) -> list[tuple]:
        numbers = sorted(
            {int(m.group(1)) for k in rec if (m := PROBLEM_COLUMN.match(k))}
        )
        periods = []
        for n in numbers:
            start, end = rec.get(f"Problem{n}_from", ""), rec.get(f"Problem{n}_to", "")
            if not start.strip() and not end.strip():
                continue
            if not start.strip() or not end.strip():
                raise self.fail(
                    row, f"set both Problem{n}_from and Problem{n}_to, or neither"
                )
            first = self.date(row, f"Problem{n}_from", start)[0]
            last, last_is_date = self.date(row, f"Problem{n}_to", end)
            last = last + pd.Timedelta(days=1) if last_is_date else last
            if last <= first:
                raise self.fail(row, f"Problem{n}_to is not after Problem{n}_from")
            periods.append((first, last))
        return periods


def covariate_columns(deployments: pd.DataFrame) -> list[str]:
    """The stations table's extra columns, in its order (camtrapR covariates)."""
    return [c for c in deployments.columns if c not in DEPLOYMENT_COLUMNS]


def write_deployments(deployments: pd.DataFrame, path: str | Path) -> None:
    """Write :func:`read_stations`' frame as ``inventory/deployments.parquet``.

    The one parse of the stations table that later stages read: capture and
    export take the deployments from here instead of reading the CSV again.
    """
    from trapline.tables import DEPLOYMENTS

    frame = deployments.assign(
        clock_offset_s=deployments["clock_offset"].dt.total_seconds(),
        problems=deployments["problems"].map(_intervals),
    ).drop(columns="clock_offset")
    DEPLOYMENTS.write(frame, path)


def read_deployments(path: str | Path) -> pd.DataFrame:
    """``inventory/deployments.parquet`` back as :func:`read_stations` gave it."""
    from trapline.tables import DEPLOYMENTS

    frame = DEPLOYMENTS.read(path)
    tz = frame["window_start"].dt.tz
    for column in ("setup", "retrieval", "window_start", "window_end"):
        frame[column] = frame[column].dt.as_unit("us")
    frame["problems"] = frame["problems"].map(lambda text: _periods(text, tz))
    offset = pd.to_timedelta(frame.pop("clock_offset_s"), unit="s")
    frame["clock_offset"] = offset.astype("timedelta64[us]")
    covariates = [c for c in frame.columns if c not in DEPLOYMENT_COLUMNS]
    return frame[list(DEPLOYMENT_COLUMNS) + covariates]


def _intervals(periods: list[tuple]) -> str:
    """Problem periods as ISO 8601 intervals, ``start/end`` separated by ``;``."""
    return ";".join(f"{a.isoformat()}/{b.isoformat()}" for a, b in periods)


def _periods(text: str | None, tz) -> list[tuple]:
    if not text:
        return []
    out = []
    for interval in text.split(";"):
        a, b = interval.split("/")
        out.append(
            (
                pd.Timestamp(a).tz_convert(tz).as_unit("us"),
                pd.Timestamp(b).tz_convert(tz).as_unit("us"),
            )
        )
    return out
