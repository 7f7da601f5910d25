# Snakemake entry point for rule catalogue: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.detect.settings import DetectSettings
from trapline.identify.tagfolder import (
    CatalogueInputs,
    CatalogueOutputs,
    catalogue_table_stage,
)
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
catalogue_table_stage(
    CatalogueInputs(
        **named_paths(snakemake.input), folder=Path(snakemake.params.folder)
    ),
    section_settings(DetectSettings, snakemake.params.thresholds).thresholds,
    CatalogueOutputs(**named_paths(snakemake.output)),
)
