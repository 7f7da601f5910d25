# Snakemake entry point for rule camtrap_dp: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.export import CamtrapDpInputs, PackageMetadata, camtrap_dp_stage
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
camtrap_dp_stage(
    CamtrapDpInputs(**named_paths(snakemake.input)),
    section_settings(PackageMetadata, snakemake.params.settings),
    Path(snakemake.output.package).parent,
)
