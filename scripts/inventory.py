# Snakemake entry point for rule inventory: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.inventory.settings import InventorySettings
from trapline.inventory.stage import InventoryInputs, InventoryOutputs, inventory_stage
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
inventory_stage(
    InventoryInputs(**named_paths(snakemake.input)),
    InventorySettings.from_config(snakemake.params.settings),
    InventoryOutputs(**named_paths(snakemake.output)),
)
