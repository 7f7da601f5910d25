# Snakemake entry point for rule detect_import: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.detect.stage import import_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
import_stage(
    Path(snakemake.input.precomputed),
    Path(snakemake.output[0]),
    getattr(snakemake.params, "key", "detect.precomputed"),
)
