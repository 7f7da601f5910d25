# Snakemake entry point for rule inventory: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.inventory import inventory_season

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
inventory_season(
    probes_in=list(snakemake.input.probes),
    images_root=snakemake.params.images_root,
    stations=snakemake.input.stations,
    layout=snakemake.params.layout,
    timezone=snakemake.params.timezone,
    columns=snakemake.params.columns,
    date_format=snakemake.params.date_format,
    images_out=snakemake.output.images,
    quarantine_out=snakemake.output.quarantine,
)
