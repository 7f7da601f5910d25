# Snakemake entry point for rule report: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.config import section_settings
from trapline.io import named_paths
from trapline.report import ReportInputs, ReportOutputs, ReportSettings, report_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
report_stage(
    ReportInputs(**named_paths(snakemake.input)),
    section_settings(
        ReportSettings,
        snakemake.params.settings,
        target_species=tuple(snakemake.params.target_species),
    ),
    ReportOutputs(**named_paths(snakemake.output)),
)
