# Snakemake entry point for rule detections: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.detections import DetectionOutputs, DetectionRules, detections_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
detections_stage(
    Path(snakemake.input.images),
    [Path(p) for p in snakemake.input.shards],
    DetectionRules(
        thresholds=dict(snakemake.params.thresholds),
        sequence_gap_s=snakemake.params.sequence_gap_s,
        drop_person_images=snakemake.params.drop_person_images,
    ),
    DetectionOutputs(**{k: Path(v) for k, v in snakemake.output.items()}),
)
