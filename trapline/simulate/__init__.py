"""Simulated camera-trap seasons with ground truth.

A seeded, deterministic generator of a whole lynx camera-trapping season:
station images (with realistic problems), camtrapR station table, reference
catalogue and exact truth (boxes, individuals, flanks, times).  It is the demo
data set and the test fixture for the whole pipeline.
"""

from trapline.simulate.season import SeasonSummary, simulate_preset, simulate_season
from trapline.simulate.settings import Difficulty, SeasonSettings

__all__ = [
    "Difficulty",
    "SeasonSettings",
    "SeasonSummary",
    "simulate_preset",
    "simulate_season",
]
