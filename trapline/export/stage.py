"""The export rules: capture tables to secr/MARK/unmarked files, and the season to
a Camtrap DP package."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from trapline.export.camtrapdp import PackageMetadata, write_camtrap_dp
from trapline.export.mark import write_mark
from trapline.export.occupancy import write_occupancy
from trapline.export.secr import write_secr
from trapline.stations import StationColumns, read_stations
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


def export_stage(
    inputs: ExportInputs,
    detector: str,
    secr_folder: Path,
    mark_file: Path,
    occupancy_folder: Path,
) -> None:
    """Write the secr, MARK and occupancy files from the capture tables."""
    captures = CAPTURES.read(inputs.captures)
    effort = EFFORT.read(inputs.effort)
    traps = TRAPS.read(inputs.traps)
    written = write_secr(captures, effort, traps, detector, secr_folder)
    write_mark(CAPTURE_HISTORY.read(inputs.capture_history), mark_file)
    written += write_occupancy(
        DETECTION_HISTORY.read(inputs.detection_history), traps, occupancy_folder
    )
    log.info("wrote %s and %s", ", ".join(str(p) for p in written), mark_file)


def camtrap_dp_stage(
    images: Path,
    detections: Path,
    crops: Path,
    identities: Path | None,
    stations: Path,
    timezone: str,
    columns: StationColumns,
    date_format: str | None,
    metadata: PackageMetadata,
    folder: Path,
) -> None:
    """Write the Camtrap DP package of the season."""
    deployments = read_stations(stations, timezone, columns, date_format)
    write_camtrap_dp(
        deployments,
        IMAGES.read(images),
        DETECTIONS.read(detections),
        CROPS.read(crops),
        IDENTITIES.read(identities) if identities else IDENTITIES.empty(),
        metadata,
        folder,
    )
