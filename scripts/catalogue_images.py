# Snakemake entry point for rule catalogue_images: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.identify.tagfolder import catalogue_images_stage
from trapline.inventory.keywords import TagSettings

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
catalogue_images_stage(
    Path(snakemake.params.folder),
    section_settings(TagSettings, snakemake.params.tags, where="tags."),
    Path(snakemake.output[0]),
)
