"""The simulate_season rule: a preset season written where the config says."""

from __future__ import annotations

from pathlib import Path

from trapline.simulate.season import SeasonSummary, simulate_preset
from trapline.simulate.settings import SimulateSettings


def simulate_stage(
    settings: SimulateSettings, out: Path, threads: int = 1
) -> SeasonSummary:
    """Write the configured preset season into ``out`` (the season folder)."""
    return simulate_preset(out, settings.preset, settings.seed, processes=threads)
