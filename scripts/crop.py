# Snakemake entry point for rule crop: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.crops import CropSettings, crop_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
crop_stage(
    Path(snakemake.params.images_root),
    Path(snakemake.input.images),
    Path(snakemake.input.detections),
    Path(snakemake.input.summary),
    Path(snakemake.params.results),
    CropSettings(
        min_conf=snakemake.params.min_conf,
        padding=snakemake.params.padding,
        quality=snakemake.params.quality,
        threads=snakemake.threads,
    ),
    Path(snakemake.output.crops),
    Path(snakemake.output.quarantine),
)
