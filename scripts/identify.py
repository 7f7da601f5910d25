# Snakemake entry point for rule identify: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.identify import IdentifySettings
from trapline.identify.stage import IdentifyInputs, IdentifyOutputs, identify_stage
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p = snakemake.params
identify_stage(
    IdentifyInputs(
        **named_paths(snakemake.input),
        results=Path(p.results),
        images_root=Path(p.images_root),
    ),
    section_settings(IdentifySettings, p.settings, target_species=p.target_species),
    IdentifyOutputs(**named_paths(snakemake.output)),
    threads=snakemake.threads,
)
