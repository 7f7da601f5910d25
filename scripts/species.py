# Snakemake entry point for rule species: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.io import named_paths
from trapline.species.labels import SpeciesSettings
from trapline.species.stage import SpeciesInputs, SpeciesOutputs, species_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
species_stage(
    SpeciesInputs(
        **named_paths(snakemake.input), images_root=Path(snakemake.params.images_root)
    ),
    section_settings(SpeciesSettings, snakemake.params.settings),
    SpeciesOutputs(**named_paths(snakemake.output)),
    target_species=tuple(snakemake.params.target_species),
)
