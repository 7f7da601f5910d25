"""The capture rule end to end: identities, detections and stations in; camera
operation, occasions, capture events, histories, traps and estimates out.

A record that cannot count is never dropped silently (camtrapR drops captures in
cells without effort with no more than a console warning): it goes to
``capture/excluded.parquet`` with a reason, and the log says how many.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from trapline.capture.estimate import history_estimates
from trapline.capture.events import flank_of_event
from trapline.capture.history import capture_history, detection_history
from trapline.capture.occasions import occasion_grid
from trapline.capture.operation import camera_operation
from trapline.capture.records import individual_records, species_records
from trapline.capture.screen import EXCLUSION_REASONS, screen_events
from trapline.capture.settings import CaptureSettings
from trapline.capture.traps import station_covariates, traps_table
from trapline.capture.truth import TruthInputs, truth_report
from trapline.inventory.stations import read_deployments
from trapline.io import write_atomic
from trapline.tables import (
    CAMERA_OPERATION,
    CAPTURE_HISTORY,
    CAPTURES,
    CROPS,
    DETECTION_HISTORY,
    DETECTIONS,
    EFFORT,
    EXCLUDED_CAPTURES,
    IDENTITIES,
    IMAGES,
    OCCASIONS,
    TRAPS,
    local_text,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureInputs:
    """Where the capture rule reads."""

    images: Path
    detections: Path
    crops: Path
    deployments: Path
    identities: Path | None = None
    truth_individuals: Path | None = None
    truth_detections: Path | None = None


@dataclass(frozen=True)
class CaptureOutputs:
    """Where the capture rule writes."""

    captures: Path
    capture_history: Path
    effort: Path
    traps: Path
    occasions: Path
    camera_operation: Path
    excluded: Path
    detection_history: Path
    estimate: Path


def capture_stage(
    inputs: CaptureInputs, settings: CaptureSettings, out: CaptureOutputs
) -> None:
    """Build and write every capture table (see :class:`CaptureOutputs`)."""
    deployments = read_deployments(inputs.deployments)
    images = IMAGES.read(inputs.images)
    operation = camera_operation(deployments, settings)
    grid = occasion_grid(operation, settings)

    if inputs.identities is not None:
        identities = IDENTITIES.read(inputs.identities)
        crops = CROPS.read(inputs.crops)
    else:
        log.warning("no identities (identify.catalogue is null): no captures")
        identities, crops = IDENTITIES.empty(), CROPS.empty()
    records = individual_records(identities, crops, images, deployments)
    captures, excluded_ind = screen_events(
        records, deployments, grid, "Individual", settings
    )
    captures["Flank"] = flank_of_event(captures["Flanks"])

    detections = DETECTIONS.read(inputs.detections)
    species_recs = species_records(detections, images, deployments)
    species_events, excluded_sp = screen_events(
        species_recs, deployments, grid, "Species", settings
    )
    species = sorted(set(species_recs["Species"]))

    history = capture_history(captures, grid)
    detections_hist = detection_history(species_events, grid, species)
    traps = traps_table(deployments, station_covariates(deployments))
    parts = [
        excluded_ind.assign(record_type="individual"),
        excluded_sp.assign(record_type="species", Individual=None),
    ]
    excluded = pd.concat([p for p in parts if len(p)] or parts, ignore_index=True)
    _report(excluded)

    CAPTURES.write(_camtrapr_columns(captures), out.captures)
    CAPTURE_HISTORY.write(history, out.capture_history)
    EFFORT.write(grid.effort, out.effort)
    TRAPS.write(traps, out.traps)
    OCCASIONS.write(grid.occasions, out.occasions)
    CAMERA_OPERATION.write(
        operation.assign(Date=operation["Date"].dt.date), out.camera_operation
    )
    EXCLUDED_CAPTURES.write(_camtrapr_columns(excluded), out.excluded)
    DETECTION_HISTORY.write(detections_hist, out.detection_history)
    report = {
        "settings": asdict(settings),
        "estimates": history_estimates(history),
        "excluded": excluded.groupby(["record_type", "reason"]).size().to_dict(),
    }
    report["excluded"] = [
        {"record_type": t, "reason": r, "records": int(n)}
        for (t, r), n in report["excluded"].items()
    ]
    if inputs.truth_individuals is not None and inputs.truth_detections is not None:
        truth = TruthInputs(inputs.truth_individuals, inputs.truth_detections)
        report["truth"] = truth_report(
            truth, images, deployments, grid, settings, report["estimates"]
        )
    write_atomic(
        out.estimate, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2))
    )
    for est in report["estimates"]:
        log.info(
            "session %s, %s: %d individuals captured, Chao M_h %.1f, Schnabel %s",
            est["Session"],
            est["Species"],
            est["individuals_captured"],
            est["chao_mh"]["N"],
            est["schnabel"]["N"],
        )


def _camtrapr_columns(events: pd.DataFrame) -> pd.DataFrame:
    """Date, Time and the local date-time as camtrapR writes them, beside the
    timestamp."""
    local = events["DateTimeOriginal"]
    if local.empty:
        return events.assign(
            Date=pd.Series(dtype=object),
            Time=pd.Series(dtype=str),
            DateTimeLocal=pd.Series(dtype=str),
        )
    return events.assign(
        Date=local.dt.date,
        Time=local.dt.strftime("%H:%M:%S"),
        DateTimeLocal=local_text(local),
    )


def _report(excluded: pd.DataFrame) -> None:
    for (kind, reason), n in excluded.groupby(["record_type", "reason"]).size().items():
        log.warning(
            "%d %s capture event(s) kept out of the histories: %s (%s); listed in "
            "capture/excluded.parquet",
            n,
            kind,
            reason,
            EXCLUSION_REASONS[reason],
        )
