"""What happened in front of the cameras: encounters with true times.

An encounter is something passing one station at one instant.  At a paired
station every operating camera fires at that instant -- the simultaneous
capture is what lets a person (or the pipeline) link an individual's left and
right flanks.  Non-lynx encounters (fox, people, wind-triggered empties) exist
so detection, species filtering and camera-operation logic all get exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from trapline.simulate.deployment import Camera
from trapline.simulate.population import Individual, detection_probability
from trapline.simulate.seeds import stream
from trapline.simulate.settings import SeasonSettings


@dataclass(frozen=True)
class Encounter:
    """Something (or nothing) triggering the camera(s) of one station."""

    kind: str
    """``lynx``, ``fox``, ``person`` or ``empty``."""
    station_index: int
    when: datetime
    """True local time (timezone-aware) of the first frame."""
    cameras: tuple[str, ...]
    individuals: tuple[str, ...] = ()
    """Lynx individual ids; a second id is a juvenile walking with the first."""


def _activity_hour(rng: np.random.Generator, kind: str) -> float:
    """Hour of day from a species' activity pattern.

    Lynx and fox are crepuscular/nocturnal (peaks at dusk and dawn), people
    walk in daylight, and wind-triggered empties follow the daytime breeze.
    """
    if kind in ("lynx", "fox"):
        component = rng.choice(4, p=[0.35, 0.25, 0.25, 0.15])
        hour = (
            rng.normal(19.5, 1.2),
            rng.normal(6.0, 1.0),
            rng.uniform(21.0, 29.0),
            rng.uniform(0.0, 24.0),
        )[component]
    elif kind == "person":
        hour = rng.uniform(9.0, 17.0)
    else:
        hour = rng.normal(13.0, 3.0)
    return float(hour % 24.0)


def _at(day: date, hour: float, tz: ZoneInfo) -> datetime:
    seconds = min(int(hour * 3600), 86399)
    return datetime.combine(day, time(0), tz) + timedelta(seconds=seconds)


def _operating(cameras: list[Camera], when: datetime) -> tuple[str, ...]:
    return tuple(c.camera for c in cameras if c.is_operating(when))


def sample_encounters(
    settings: SeasonSettings, cameras: list[Camera], individuals: list[Individual]
) -> list[Encounter]:
    """All encounters of the season, sorted by time."""
    tz = ZoneInfo(settings.timezone)
    start = date.fromisoformat(settings.start_date)
    days = [start + timedelta(days=d) for d in range(settings.days)]
    by_station: dict[int, list[Camera]] = {}
    for cam in cameras:
        by_station.setdefault(cam.station_index, []).append(cam)
    encounters = _lynx(settings, by_station, individuals, days, tz)
    rng = stream(settings.seed, "other-events")
    stations = sorted(by_station)
    for kind, count, single in (
        ("fox", settings.fox_events, False),
        ("person", settings.hiker_events, True),
        ("empty", settings.empty_triggers, True),
    ):
        made = 0
        while made < count:
            s = int(rng.choice(stations))
            when = _at(days[rng.integers(len(days))], _activity_hour(rng, kind), tz)
            cams = _operating(by_station[s], when)
            if single and cams:
                cams = (str(rng.choice(cams)),)
            if cams:
                encounters.append(Encounter(kind, s, when, cams))
                made += 1
    for k in range(settings.worker_events):
        cam = cameras[int(rng.integers(len(cameras)))]
        minutes = int(rng.integers(2, 12))
        when = (
            cam.setup + timedelta(minutes=minutes)
            if k % 2 == 0
            else cam.retrieval - timedelta(minutes=minutes)
        )
        encounters.append(Encounter("person", cam.station_index, when, (cam.camera,)))
    return sorted(encounters, key=lambda e: (e.when, e.station_index, e.kind))


def _lynx(
    settings: SeasonSettings,
    by_station: dict[int, list[Camera]],
    individuals: list[Individual],
    days: list[date],
    tz: ZoneInfo,
) -> list[Encounter]:
    """Daily Bernoulli detections of every individual at every station."""
    rng = stream(settings.seed, "lynx-events")
    encounters = []
    for day in days:
        for s, cams in sorted(by_station.items()):
            probs = np.array(
                [
                    detection_probability(ind, cams[0].x, cams[0].y, settings)
                    for ind in individuals
                ]
            )
            seen = rng.random(len(individuals)) < probs
            for k in np.flatnonzero(seen):
                when = _at(day, _activity_hour(rng, "lynx"), tz)
                fired = _operating(cams, when)
                ids = [individuals[k].individual_id]
                if rng.random() < settings.multi_animal_prob and len(individuals) > 1:
                    weights = probs.copy()
                    weights[k] = 0.0
                    if weights.sum() > 0:
                        companion = rng.choice(
                            len(individuals), p=weights / weights.sum()
                        )
                        ids.append(individuals[companion].individual_id)
                if fired:
                    encounters.append(Encounter("lynx", s, when, fired, tuple(ids)))
    return encounters
