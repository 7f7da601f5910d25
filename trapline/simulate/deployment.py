"""Where the cameras stand, when they ran, and how their clocks lie.

This is the simulated field protocol: a square-ish grid of stations, some with a
facing pair of cameras (so both flanks of a passing animal are photographed at
once), staggered setup and retrieval, one camera that stopped working for a
few days and one camera whose clock was set wrong.  Those last two exist so the
pipeline's camera-operation and clock-correction logic has something to fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trapline.simulate.seeds import stream
from trapline.simulate.settings import SeasonSettings

CAMERA_MODELS: tuple[tuple[str, str, str, str], ...] = (
    # make, model, serial prefix, file extension as the firmware writes it
    ("RECONYX", "HF2X", "H2X", ".JPG"),
    ("Browning", "BTC-8E", "BTC8E", ".jpg"),
)


@dataclass(frozen=True)
class Camera:
    """One camera at one station, with its operating window in true local time."""

    station: str
    camera: str
    station_index: int
    x: float
    y: float
    setup: datetime
    retrieval: datetime
    problem_from: date | None
    problem_to: date | None
    clock_offset: timedelta
    """Add to the camera clock to get true time (camtrapR ``Clock_offset``)."""
    make: str
    model: str
    serial: str
    extension: str

    def is_operating(self, when: datetime) -> bool:
        """True if the camera could have taken a picture at true time ``when``."""
        if not self.setup <= when <= self.retrieval:
            return False
        if self.problem_from is None or self.problem_to is None:
            return True
        return not self.problem_from <= when.date() <= self.problem_to

    def clock_time(self, when: datetime) -> datetime:
        """What the camera's clock shows at true time ``when`` (naive local)."""
        return (when - self.clock_offset).replace(tzinfo=None)


def format_offset(offset: timedelta) -> str:
    """Signed ``HH:MM:SS`` as written to stations.csv (``-02:00:00``)."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def grid_positions(settings: SeasonSettings) -> list[tuple[float, float]]:
    """Station coordinates on a square-ish grid, row by row from the south-west.

    A small jitter (10 % of the spacing) mimics stations moved to the nearest
    game trail; it is rounded to whole metres like a GPS reading.
    """
    rng = stream(settings.seed, "grid")
    n_cols = math.ceil(math.sqrt(settings.n_stations))
    positions = []
    for i in range(settings.n_stations):
        row, col = divmod(i, n_cols)
        jx, jy = rng.uniform(-0.1, 0.1, size=2) * settings.spacing_m
        positions.append(
            (
                round(settings.origin_x + col * settings.spacing_m + jx),
                round(settings.origin_y + row * settings.spacing_m + jy),
            )
        )
    return positions


def build_cameras(settings: SeasonSettings) -> list[Camera]:
    """All cameras of the season, in station then camera order."""
    rng = stream(settings.seed, "deployment")
    tz = ZoneInfo(settings.timezone)
    start = date.fromisoformat(settings.start_date)
    paired = set(
        rng.choice(
            settings.n_stations,
            size=min(settings.paired_stations, settings.n_stations),
            replace=False,
        ).tolist()
    )
    specs = []
    for i, (x, y) in enumerate(grid_positions(settings)):
        setup_day = start + timedelta(days=int(rng.integers(0, 2)))
        last_day = start + timedelta(days=settings.days - 1 - int(rng.integers(0, 2)))
        last_day = max(last_day, setup_day + timedelta(days=1))
        setup = datetime.combine(setup_day, _clock(rng, 9, 16), tz)
        retrieval = datetime.combine(last_day, _clock(rng, 9, 16), tz)
        for cam in ("A", "B") if i in paired else ("A",):
            specs.append((i, cam, x, y, setup, retrieval))

    # The wrong clock goes to a paired camera when there is one: the
    # simultaneous A/B capture then only lines up after clock correction.
    paired_b = [k for k, s in enumerate(specs) if s[1] == "B"]
    wrong = paired_b[0] if paired_b else len(specs) - 1
    candidates = [k for k in range(len(specs)) if k != wrong]
    broken = int(rng.choice(candidates)) if settings.problem_days > 0 else -1

    cameras = []
    for k, (i, cam, x, y, setup, retrieval) in enumerate(specs):
        make, model, prefix, ext = CAMERA_MODELS[(i + (cam == "B")) % 2]
        problem_from = problem_to = None
        if k == broken:
            span = (retrieval.date() - setup.date()).days
            length = min(settings.problem_days, span - 2)  # keep days on both sides
            if length > 0:
                first = max(1, (span - length) // 2)
                problem_from = setup.date() + timedelta(days=first)
                problem_to = problem_from + timedelta(days=length - 1)
        offset = -timedelta(hours=settings.wrong_clock_hours) if k == wrong else None
        cameras.append(
            Camera(
                station=f"ST{i + 1:02d}",
                camera=cam,
                station_index=i,
                x=float(x),
                y=float(y),
                setup=setup,
                retrieval=retrieval,
                problem_from=problem_from,
                problem_to=problem_to,
                clock_offset=offset or timedelta(0),
                make=make,
                model=model,
                serial=f"{prefix}{int(rng.integers(10**7, 10**8))}",
                extension=ext,
            )
        )
    return cameras


def _clock(rng, first_hour: int, last_hour: int) -> time:
    minutes = int(rng.integers(first_hour * 60, last_hour * 60))
    return time(minutes // 60, minutes % 60)
