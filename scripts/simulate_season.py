# Snakemake entry point for rule simulate_season: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.simulate.settings import SimulateSettings
from trapline.simulate.stage import simulate_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
simulate_stage(
    section_settings(SimulateSettings, snakemake.params.settings),
    Path(snakemake.params.season),
    threads=snakemake.threads,
)
