# Snakemake entry point for rule detect: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging

from trapline.config import section_settings
from trapline.detect.settings import DetectSettings, PrivacySettings
from trapline.detect.stage import DetectInputs, DetectOutputs, detect_stage
from trapline.io import named_paths

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
detect_stage(
    DetectInputs(**named_paths(snakemake.input)),
    section_settings(DetectSettings, snakemake.params.settings),
    DetectOutputs(**named_paths(snakemake.output)),
    privacy=section_settings(PrivacySettings, snakemake.params.privacy),
)
