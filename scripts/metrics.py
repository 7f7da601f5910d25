# Snakemake entry point for rule metrics: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import json
import logging
from pathlib import Path

from trapline.identify.metrics import metrics_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
i = snakemake.input
metrics_stage(
    Path(i.identities),
    Path(i.candidates),
    Path(i.crops),
    Path(i.images),
    Path(i.detections),
    Path(i.truth_detections),
    Path(i.truth_individuals),
    json.loads(Path(i.settings).read_text()),
    list(snakemake.params.target_species),
    Path(snakemake.output[0]),
)
