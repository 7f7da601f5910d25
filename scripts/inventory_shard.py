# Snakemake entry point for rule inventory_shard: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.inventory import probe_shard

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
probe_shard(
    snakemake.input.manifest,
    snakemake.params.images_root,
    snakemake.threads,
    snakemake.output.probes,
)
