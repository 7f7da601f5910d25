# Snakemake entry point for rule capture: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.capture import (
    CaptureInputs,
    CaptureOutputs,
    CaptureSettings,
    capture_stage,
)
from trapline.config import section_settings
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
capture_stage(
    CaptureInputs(**named_paths(snakemake.input)),
    section_settings(CaptureSettings, snakemake.params.settings),
    CaptureOutputs(**named_paths(snakemake.output)),
)
