"""Capture histories for R: camera operation, occasions, independent capture
events, individual and species histories, traps and sanity estimates.

camtrapR is the reference for the semantics (``cameraOperation``,
``recordTableIndividual``, ``spatialDetectionHistory``, ``detectionHistory``);
the README lists every difference.
"""

from trapline.capture.estimate import chao_mh, estimates, schnabel
from trapline.capture.events import independent_events
from trapline.capture.history import capture_history, detection_history
from trapline.capture.occasions import OccasionGrid, occasion_grid
from trapline.capture.operation import camera_operation, operating_reason
from trapline.capture.records import individual_records, species_records
from trapline.capture.screen import EXCLUSION_REASONS, screen_events
from trapline.capture.settings import CaptureSettings
from trapline.capture.stage import CaptureInputs, CaptureOutputs, capture_stage
from trapline.capture.truth import TruthInputs, truth_report

__all__ = [
    "EXCLUSION_REASONS",
    "CaptureInputs",
    "CaptureOutputs",
    "CaptureSettings",
    "OccasionGrid",
    "TruthInputs",
    "camera_operation",
    "capture_history",
    "capture_stage",
    "chao_mh",
    "detection_history",
    "estimates",
    "independent_events",
    "individual_records",
    "occasion_grid",
    "operating_reason",
    "schnabel",
    "screen_events",
    "species_records",
    "truth_report",
]
