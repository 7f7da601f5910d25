# Snakemake entry point for rule capture: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.capture import (
    CaptureInputs,
    CaptureOutputs,
    CaptureSettings,
    capture_stage,
)
from trapline.stations import StationColumns

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p, i = snakemake.params, snakemake.input
capture_stage(
    CaptureInputs(
        images=Path(i.images),
        detections=Path(i.detections),
        crops=Path(i.crops),
        stations=Path(i.stations),
        timezone=p.timezone,
        columns=StationColumns(**p.stations_columns),
        date_format=p.date_format,
        identities=Path(i.identities) if "identities" in i.keys() else None,
        truth_individuals=Path(i.truth) if "truth" in i.keys() else None,
        truth_detections=Path(i.truth_boxes) if "truth_boxes" in i.keys() else None,
    ),
    CaptureSettings(**p.settings),
    CaptureOutputs(**{k: Path(v) for k, v in snakemake.output.items()}),
)
