# Snakemake entry point for rule detect_precomputed: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.mdformat import precomputed_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
precomputed_stage(
    Path(snakemake.input.images),
    Path(snakemake.input.precomputed),
    Path(snakemake.output.raw),
    Path(snakemake.output.quarantine),
)
