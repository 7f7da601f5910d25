"""Reference photos of known individuals: both flanks, crop of the animal only.

A real catalogue is built from earlier seasons or other projects, so these
crops are rendered in scenes that never appear in the season (their own
backgrounds, poses and light) -- a matcher cannot score by recognising the
station behind the animal.
"""

from __future__ import annotations

from trapline.simulate.animals import Actor
from trapline.simulate.population import Individual
from trapline.simulate.render import FrameSpec
from trapline.simulate.seeds import derive, stream
from trapline.simulate.settings import SeasonSettings
from trapline.simulate.shapes import Pose
from trapline.simulate.writer import Job

CATALOGUE_SCENE_KEY = 20_000
"""Backgrounds 20000-20003 exist only in the catalogue."""


def catalogue_jobs(
    settings: SeasonSettings, individuals: list[Individual]
) -> list[Job]:
    """Jobs writing ``catalogue/<id>/<id>_<flank>_<k>.jpg`` for catalogue animals."""
    jobs = []
    for ind in individuals:
        if not ind.in_catalogue:
            continue
        for flank in ("left", "right"):
            for k in range(1, settings.catalogue_per_flank + 1):
                rng = stream(settings.seed, "catalogue", ind.individual_id, flank, k)
                pose = Pose(
                    rng.uniform(0, 6.3),
                    rng.uniform(-0.04, 0.08),
                    rng.uniform(-0.05, 0.1),
                )
                actor = Actor(
                    "lynx",
                    ind.coat_seed,
                    flank,
                    rng.uniform(2.5, 4.5),
                    rng.uniform(0.35, 0.65),
                    pose,
                )
                spec = FrameSpec(
                    scene_key=CATALOGUE_SCENE_KEY + int(rng.integers(4)),
                    seed=derive(
                        settings.seed, "catalogue-frame", ind.individual_id, flank, k
                    ),
                    night=False,
                    dimness=rng.uniform(0.75, 1.0),
                    actors=(actor,),
                )
                name = f"{ind.individual_id}_{flank}_{k}.jpg"
                jobs.append(
                    Job(f"catalogue/{ind.individual_id}/{name}", spec, crop=True)
                )
    return jobs
