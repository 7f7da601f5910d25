# Snakemake entry point for rule deployments: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.inventory.settings import InventorySettings
from trapline.inventory.stage import deployments_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
deployments_stage(
    InventorySettings.from_config(snakemake.params.settings),
    Path(snakemake.output[0]),
)
