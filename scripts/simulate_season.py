# Snakemake entry point for rule simulate_season: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.simulate import simulate_preset

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
simulate_preset(
    snakemake.params.season,
    preset=snakemake.params.preset,
    seed=snakemake.params.seed,
    processes=snakemake.threads,
)
