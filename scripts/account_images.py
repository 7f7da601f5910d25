# Snakemake entry point for rule account_images: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.quarantine import close_books

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
close_books(
    Path(snakemake.input.inventory),
    Path(snakemake.input.summary),
    [Path(p) for p in snakemake.input.quarantines],
    Path(snakemake.output.images),
    Path(snakemake.output.quarantine),
)
