"""Settings of a simulated season.

Two frozen dataclasses: ``Difficulty`` holds everything that makes
re-identification hard (so a benchmark can turn it up or down without touching
the sampling design), ``SeasonSettings`` holds the study design and the size of
the data set.  Frozen so a settings object can be hashed, shipped to worker
processes and written to ``truth/settings.json`` as the exact record of a run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Difficulty:
    """How hard the images are for detection and re-identification.

    Defaults aim at "realistic but solvable": a good local-feature matcher
    should re-identify most day-time flank views, fewer night or occluded ones.
    """

    spot_contrast: float = 0.8
    """Mean darkness of spots relative to the fur (0 = invisible, 1 = black)."""
    low_contrast_fraction: float = 0.2
    """Share of individuals whose spots have only half the usual contrast."""
    deformation: float = 0.035
    """Amplitude of the smooth random displacement field, in body heights."""
    bend_max: float = 0.08
    """Largest body bend (sagging/arching), in body heights."""
    foreshortening_max: float = 0.2
    """Largest horizontal squeeze from an animal walking at an angle."""
    occlusion_prob: float = 0.25
    """Chance that foreground vegetation is drawn over an animal in a frame."""
    blur_max_px: float = 6.0
    """Longest motion blur streak, in pixels of a 1920-wide frame."""
    defocus_prob: float = 0.15
    """Chance of an out-of-focus (Gaussian-blurred) animal."""
    night_start_hour: float = 18.5
    """Local hour after which cameras switch to infrared (greyscale) images."""
    night_end_hour: float = 6.5
    """Local hour before which cameras still take infrared images."""
    distance_m: tuple[float, float] = (2.5, 10.0)
    """Range of animal-to-camera distances; sets the apparent scale."""
    gain_jitter: float = 0.18
    """Relative spread of exposure gain between frames."""
    gamma_jitter: float = 0.12
    """Spread of the tone-curve exponent between frames."""
    white_balance_jitter: float = 0.06
    """Relative spread of the per-channel gains (day only)."""
    noise_day: float = 3.0
    """Sensor noise standard deviation in grey levels, day."""
    noise_night: float = 8.0
    """Sensor noise standard deviation in grey levels, infrared night."""


@dataclass(frozen=True)
class SeasonSettings:
    """Design, population and output size of one simulated season.

    The detection model is the spatial capture-recapture half-normal one:
    an individual with activity centre at distance d from a station is recorded
    there on a given day with probability ``g0 * exp(-d^2 / (2 sigma^2))``.
    The defaults give roughly 100 lynx encounters with plenty of spatial
    recaptures, which is what a capture-recapture demo needs.
    """

    seed: int = 1
    n_stations: int = 9
    spacing_m: float = 1500.0
    origin_x: float = 600000.0
    origin_y: float = 5150000.0
    paired_stations: int = 3
    n_individuals: int = 16
    catalogue_fraction: float = 0.6
    catalogue_per_flank: int = 2
    days: int = 30
    start_date: str = "2026-03-01"
    timezone: str = "Etc/GMT-1"
    g0: float = 0.2
    sigma_m: float = 1500.0
    buffer_sigmas: float = 2.0
    burst: int = 3
    width: int = 1920
    height: int = 1080
    jpeg_quality: int = 88
    empty_triggers: int = 20
    fox_events: int = 12
    worker_events: int = 3
    hiker_events: int = 1
    multi_animal_prob: float = 0.08
    wrong_clock_hours: float = 2.0
    problem_days: int = 4
    bad_truncated: int = 1
    bad_zero_byte: int = 1
    bad_not_jpeg: int = 1
    bad_video: int = 2
    bad_no_exif: int = 1
    bad_outside_deployment: int = 1
    bad_animal_outside_deployment: int = 1
    bad_unknown_station: int = 1
    difficulty: Difficulty = field(default_factory=Difficulty)
    processes: int = 1

    def __post_init__(self) -> None:
        if self.days < 3:
            raise ValueError("a season needs at least 3 days (setup, work, retrieval)")
        if self.n_stations < 1 or self.burst < 1 or self.n_individuals < 1:
            raise ValueError("n_stations, burst and n_individuals must be at least 1")

    @classmethod
    def tiny(cls) -> SeasonSettings:
        """A season small enough for unit tests (a few dozen 640x360 images)."""
        return cls(
            n_stations=4,
            paired_stations=1,
            n_individuals=4,
            days=6,
            g0=0.5,
            width=640,
            height=360,
            empty_triggers=3,
            fox_events=2,
            worker_events=1,
            hiker_events=1,
            multi_animal_prob=0.2,
            problem_days=2,
            bad_video=1,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SimulateSettings:
    """Config ``simulate``: which preset season to write, where, from which seed.

    Args:
        season: folder the season is written to (``images/``, ``truth/``, …).
        seed: the season's random seed (same seed, same season, byte for byte).
        preset: ``demo`` (the README's demo) or ``tiny`` (tests).
    """

    season: str
    seed: int = 1
    preset: str = "demo"
