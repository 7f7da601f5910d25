# Snakemake entry point for rule export_capture: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.capture import CaptureSettings
from trapline.config import section_settings
from trapline.export import ExportInputs, ExportOutputs, export_stage
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
export_stage(
    ExportInputs(**named_paths(snakemake.input)),
    section_settings(CaptureSettings, snakemake.params.settings),
    ExportOutputs(**named_paths(snakemake.output)),
)
