# Snakemake entry point for rule crop_shard: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.crops import CropSettings, crop_shard
from trapline.detections import DetectionRules
from trapline.layout import FolderLayout

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p = snakemake.params
crop_shard(
    Path(p.images_root),
    Path(snakemake.input.detections),
    DetectionRules(
        thresholds=dict(p.thresholds), drop_person_images=p.drop_person_images
    ),
    FolderLayout.parse(p.layout),
    Path(p.results),
    CropSettings(
        min_conf=p.min_conf,
        padding=p.padding,
        quality=p.quality,
        threads=snakemake.threads,
    ),
    Path(snakemake.output.crops),
    Path(snakemake.output.quarantine),
)
