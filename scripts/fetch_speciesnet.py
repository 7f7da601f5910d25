# Snakemake entry point for rule fetch_speciesnet: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.species.speciesnet import fetch_speciesnet

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
folder = fetch_speciesnet(snakemake.params.model)
Path(snakemake.output[0]).write_text(f"{snakemake.params.model}\n{folder}\n")
