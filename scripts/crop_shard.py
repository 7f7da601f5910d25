# Snakemake entry point for rule crop_shard: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.crop.cut import CropSettings
from trapline.crop.stage import CropInputs, CropOutputs, crop_stage
from trapline.detect.settings import DetectSettings, PrivacySettings
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p = snakemake.params
crop_stage(
    CropInputs(
        **named_paths(snakemake.input),
        images_root=Path(p.images_root),
        results=Path(p.results),
    ),
    section_settings(CropSettings, p.settings),
    CropOutputs(**named_paths(snakemake.output)),
    detect=section_settings(DetectSettings, p.detect),
    privacy=section_settings(PrivacySettings, p.privacy),
    threads=snakemake.threads,
)
