# Snakemake entry point for rule fetch_megadetector: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.weights import fetch_megadetector

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
fetch_megadetector(snakemake.params.detector, Path(snakemake.output[0]).parent)
