"""Identification stage: which individual is in each target-species crop."""

from trapline.identify.calibration import Calibration, fit_calibration
from trapline.identify.clusters import constrained_clusters, stable_ids
from trapline.identify.core import (
    Identification,
    IdentifySettings,
    identify,
)
from trapline.identify.decide import CANDIDATE_COLUMNS
from trapline.identify.tracks import link_tracks

__all__ = [
    "CANDIDATE_COLUMNS",
    "Calibration",
    "Identification",
    "IdentifySettings",
    "constrained_clusters",
    "fit_calibration",
    "identify",
    "link_tracks",
    "stable_ids",
]
