"""The export rules: capture tables to secr/MARK/unmarked files, and the season to
a Camtrap DP package."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from trapline.capture.settings import CaptureSettings
from trapline.export.camtrapdp import PackageMetadata, write_camtrap_dp
from trapline.export.mark import write_mark
from trapline.export.occupancy import write_occupancy
from trapline.export.secr import write_secr
from trapline.inventory.stations import read_deployments
from trapline.tables import (
    CAPTURE_HISTORY,
    CAPTURES,
    CROPS,
    DETECTION_HISTORY,
    DETECTIONS,
    EFFORT,
    IDENTITIES,
    IMAGES,
    TRAPS,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportInputs:
    """The capture tables the text exports are made from."""

    captures: Path
    capture_history: Path
    effort: Path
    traps: Path
    detection_history: Path


@dataclass(frozen=True)
class ExportOutputs:
    """Where the export_capture rule writes (secr: one trap file per session)."""

    secr: Path
    mark: Path
    occupancy: Path


def export_stage(
    inputs: ExportInputs, settings: CaptureSettings, out: ExportOutputs
) -> None:
    """Write the secr, MARK and occupancy files from the capture tables."""
    captures = CAPTURES.read(inputs.captures)
    effort = EFFORT.read(inputs.effort)
    traps = TRAPS.read(inputs.traps)
    written = write_secr(
        captures,
        effort,
        traps,
        settings.detector_type,
        out.secr,
        proximity_usage=settings.proximity_usage,
    )
    write_mark(CAPTURE_HISTORY.read(inputs.capture_history), out.mark)
    written += write_occupancy(
        DETECTION_HISTORY.read(inputs.detection_history), traps, out.occupancy
    )
    log.info("wrote %s and %s", ", ".join(str(p) for p in written), out.mark)


@dataclass(frozen=True)
class CamtrapDpInputs:
    """Where the camtrap_dp rule reads (identities only with a catalogue)."""

    images: Path
    detections: Path
    crops: Path
    deployments: Path
    identities: Path | None = None


def camtrap_dp_stage(
    inputs: CamtrapDpInputs, settings: PackageMetadata, out: Path
) -> None:
    """Write the Camtrap DP package of the season into the folder ``out``."""
    identities = inputs.identities
    write_camtrap_dp(
        read_deployments(inputs.deployments),
        IMAGES.read(inputs.images),
        DETECTIONS.read(inputs.detections),
        CROPS.read(inputs.crops),
        IDENTITIES.read(identities) if identities else IDENTITIES.empty(),
        settings,
        out,
    )
