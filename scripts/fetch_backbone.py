# Snakemake entry point for rule fetch_backbone: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.embed import fetch_backbone

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
fetch_backbone(snakemake.params.model)
Path(snakemake.output[0]).write_text(snakemake.params.model + "\n")
