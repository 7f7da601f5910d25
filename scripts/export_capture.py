# Snakemake entry point for rule export_capture: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.export import ExportInputs, export_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
i, o = snakemake.input, snakemake.output
export_stage(
    ExportInputs(**{k: Path(v) for k, v in i.items()}),
    snakemake.params.detector,
    Path(o.secr),
    Path(o.mark),
    Path(o.occupancy),
)
