"""Turn encounters into shots: one planned file per camera and frame.

Planning is cheap, serial and fully deterministic; rendering (the expensive
part) then only needs each shot's ``FrameSpec``, which carries its own seed.
That split is what makes the output byte-identical for any number of worker
processes.  File names are assigned last, per camera in clock order, the way a
camera's counter runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from trapline.simulate.animals import Actor
from trapline.simulate.deployment import Camera
from trapline.simulate.events import Encounter
from trapline.simulate.jpeg import ExifStamp
from trapline.simulate.population import FOX, HUMAN, LYNX, Individual
from trapline.simulate.render import FrameSpec
from trapline.simulate.seeds import derive, stream
from trapline.simulate.settings import Difficulty, SeasonSettings
from trapline.simulate.shapes import Pose


@dataclass(frozen=True)
class Truth:
    """Ground truth for one drawn figure, aligned with ``FrameSpec.actors``."""

    category: str
    species: str
    individual_id: str | None
    flank: str | None


@dataclass(frozen=True)
class Shot:
    """One file that will exist under ``images/``."""

    station: str
    camera: str
    kind: str
    when: datetime | None
    extension: str
    expected_reason: str | None = None
    stamp: ExifStamp | None = None
    spec: FrameSpec | None = None
    truths: tuple[Truth, ...] = ()
    event_id: str | None = None
    encounter_id: str | None = None
    frame: int | None = None
    path: str = ""
    """Relative to ``images/``; filled in by :func:`number_files`."""


def stamp_for(camera: Camera, when: datetime) -> ExifStamp:
    """The EXIF a camera writes at true time ``when`` (its own, maybe wrong, clock)."""
    clock = camera.clock_time(when).strftime("%Y:%m:%d %H:%M:%S")
    return ExifStamp(camera.make, camera.model, camera.serial, clock)


def light_at(when: datetime, diff: Difficulty) -> tuple[bool, float]:
    """(infrared night?, daylight level) at local solar time ``when``."""
    hour = when.hour + when.minute / 60
    if hour >= diff.night_start_hour or hour < diff.night_end_hour:
        return True, 1.0
    to_night = min(hour - diff.night_end_hour, diff.night_start_hour - hour)
    return False, float(np.clip(0.5 + 0.5 * to_night, 0.5, 1.0))


def _truth(actor: Actor, individual_id: str | None) -> Truth:
    if actor.kind == "person":
        return Truth("person", HUMAN, None, None)
    if actor.kind == "fox":
        return Truth("animal", FOX, None, None)
    return Truth("animal", LYNX, individual_id, actor.flank)


def _burst_track(rng, distance: float, speed: float, facing: str, burst: int):
    """Centre x (frame fraction) for each frame; the whole track stays in view."""
    step = min(speed * 0.9 / distance, 0.7 / max(1, burst - 1))
    span = step * (burst - 1)
    first = rng.uniform(0.1, 0.9 - span)
    xs = first + step * np.arange(burst)
    return xs if facing == "right" else xs[::-1]


def encounter_shots(
    settings: SeasonSettings,
    encounter: Encounter,
    index: int,
    cameras: dict[tuple[int, str], Camera],
    coats: dict[str, int],
    next_event: int,
) -> list[Shot]:
    """Burst frames of every camera that fired for one encounter."""
    rng = stream(settings.seed, "encounter", index)
    diff = settings.difficulty
    near, far = diff.distance_m
    if encounter.kind == "person":
        near, far = max(near, 3.5), max(far, 8.0)
    facing_a = str(rng.choice(["left", "right"]))
    d_a = rng.uniform(near, far)
    separation = rng.uniform(7.0, 11.0)  # paired cameras face each other
    speed = rng.uniform(0.5, 1.5) if encounter.kind != "person" else 1.3
    phase0, head, tail = (
        rng.uniform(0, 6.3),
        rng.uniform(-0.04, 0.06),
        rng.uniform(-0.05, 0.1),
    )
    companion = (
        rng.uniform(-0.5, 0.8),
        rng.uniform(1.0, 1.6),
    )  # depth, body lengths behind
    night, dimness = light_at(encounter.when, diff)
    shots = []
    for c, cam_name in enumerate(encounter.cameras):
        camera = cameras[(encounter.station_index, cam_name)]
        flipped = cam_name == "B"
        facing = {"left": "right", "right": "left"}[facing_a] if flipped else facing_a
        distance = (
            float(np.clip(separation - d_a, near, far)) if flipped else float(d_a)
        )
        track = _burst_track(
            stream(settings.seed, "track", index, c),
            distance,
            speed,
            facing,
            settings.burst,
        )
        event_id = f"E{next_event + c:05d}"
        for k in range(settings.burst):
            pose = Pose(phase=phase0 + 2.1 * k, head=head, tail=tail, night=night)
            actors, truths = [], []
            kind = encounter.kind if encounter.kind != "empty" else None
            ids = encounter.individuals or (None,)
            for j, ind in enumerate(ids if kind else ()):
                seed = (
                    coats[ind]
                    if kind == "lynx"
                    else derive(settings.seed, "look", index)
                )
                dx, dist, size = 0.0, distance, 1.0
                if j == 1:  # juvenile following its mother
                    dist, size = (
                        float(np.clip(distance + companion[0], near, far)),
                        0.72,
                    )
                    behind = min(companion[1] * 1.1 * 0.9 / dist, 0.3)
                    dx = -behind if facing == "right" else behind
                actor = Actor(
                    kind,
                    seed,
                    facing,
                    dist,
                    float(np.clip(track[k] + dx, 0.06, 0.94)),
                    pose,
                    size,
                )
                actors.append(actor)
                truths.append(_truth(actor, ind))
            when = encounter.when + timedelta(seconds=k)
            frame_rng = stream(settings.seed, "frame", index, c, k)
            spec = FrameSpec(
                scene_key=encounter.station_index,
                seed=derive(settings.seed, "frame-seed", index, c, k),
                night=night,
                dimness=dimness,
                actors=tuple(actors),
                vegetation=bool(
                    frame_rng.random() < (diff.occlusion_prob if actors else 0.6)
                ),
            )
            shots.append(
                Shot(
                    station=camera.station,
                    camera=cam_name,
                    kind="image" if actors else "empty",
                    when=when,
                    extension=camera.extension,
                    stamp=stamp_for(camera, when),
                    spec=spec,
                    truths=tuple(truths),
                    event_id=event_id,
                    encounter_id=f"ENC{index + 1:04d}",
                    frame=k,
                )
            )
    return shots


def plan_encounters(
    settings: SeasonSettings,
    cameras: list[Camera],
    individuals: list[Individual],
    encounters: list[Encounter],
) -> list[Shot]:
    """Shots for all encounters, with event ids numbered in time order."""
    by_key = {(c.station_index, c.camera): c for c in cameras}
    coats = {ind.individual_id: ind.coat_seed for ind in individuals}
    shots: list[Shot] = []
    next_event = 1
    for index, encounter in enumerate(encounters):
        shots += encounter_shots(settings, encounter, index, by_key, coats, next_event)
        next_event += len(encounter.cameras)
    return shots


def number_files(shots: list[Shot]) -> list[Shot]:
    """Give every shot its file name, counting per camera in clock order."""
    groups: dict[tuple[str, str], list[Shot]] = {}
    for shot in shots:
        groups.setdefault((shot.station, shot.camera), []).append(shot)
    named = []
    for (station, cam), group in sorted(groups.items()):
        group.sort(key=lambda s: (s.when, s.frame or 0))
        for n, shot in enumerate(group, start=1):
            path = f"{station}/{cam}/IMG_{n:05d}{shot.extension}"
            named.append(dataclasses.replace(shot, path=path))
    return named
