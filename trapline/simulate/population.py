"""The lynx population: who lives where and who is in the reference catalogue.

Activity centres are uniform over the trapping grid plus a buffer of a few
sigma, as in the standard spatial capture-recapture state space, so some
animals live at the edge and are rarely or never photographed -- exactly the
individuals a capture-recapture model has to infer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trapline.simulate.deployment import Camera
from trapline.simulate.seeds import derive, stream
from trapline.simulate.settings import SeasonSettings

LYNX = "Lynx lynx"
FOX = "Vulpes vulpes"
HUMAN = "Homo sapiens"


@dataclass(frozen=True)
class Individual:
    """One lynx; ``coat_seed`` fixes both of its (independent) flank patterns."""

    individual_id: str
    ac_x: float
    ac_y: float
    in_catalogue: bool
    coat_seed: int


def build_individuals(
    settings: SeasonSettings, cameras: list[Camera]
) -> list[Individual]:
    """Draw activity centres and the catalogue membership of every individual."""
    rng = stream(settings.seed, "population")
    xs = [c.x for c in cameras]
    ys = [c.y for c in cameras]
    buffer = settings.buffer_sigmas * settings.sigma_m
    ac_x = rng.uniform(min(xs) - buffer, max(xs) + buffer, settings.n_individuals)
    ac_y = rng.uniform(min(ys) - buffer, max(ys) + buffer, settings.n_individuals)
    n_cat = round(settings.catalogue_fraction * settings.n_individuals)
    in_cat = np.zeros(settings.n_individuals, dtype=bool)
    in_cat[rng.choice(settings.n_individuals, size=n_cat, replace=False)] = True
    return [
        Individual(
            individual_id=f"LYX{k + 1:03d}",
            ac_x=round(float(ac_x[k]), 1),
            ac_y=round(float(ac_y[k]), 1),
            in_catalogue=bool(in_cat[k]),
            coat_seed=derive(settings.seed, "coat", k),
        )
        for k in range(settings.n_individuals)
    ]


def detection_probability(
    individual: Individual, x: float, y: float, settings: SeasonSettings
) -> float:
    """Half-normal daily detection probability at a station at (x, y)."""
    d2 = (individual.ac_x - x) ** 2 + (individual.ac_y - y) ** 2
    return settings.g0 * math.exp(-d2 / (2 * settings.sigma_m**2))
