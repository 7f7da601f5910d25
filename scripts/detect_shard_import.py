# Snakemake entry point for rule detect_shard_import: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.detect_shards import import_shard

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
import_shard(
    Path(snakemake.input.probes),
    Path(snakemake.input.precomputed),
    Path(snakemake.output[0]),
)
