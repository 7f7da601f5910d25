# Snakemake entry point for rule review: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.io import named_paths
from trapline.review import ReviewInputs, ReviewSettings, review_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p = snakemake.params
review_stage(
    ReviewInputs(**named_paths(snakemake.input), results=Path(p.results)),
    section_settings(
        ReviewSettings, p.settings, low=p.band["review_low"], high=p.band["review_high"]
    ),
    Path(snakemake.output.folder),
)
