# Snakemake entry point for rule metrics_tags: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.identify.tagmetrics import tag_metrics_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
i = snakemake.input
tag_metrics_stage(
    Path(i.identities),
    Path(i.candidates),
    Path(i.crops),
    Path(i.images),
    Path(snakemake.params.catalogue),
    tuple(snakemake.params.target_species),
    Path(snakemake.output[0]),
)
