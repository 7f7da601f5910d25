# Snakemake entry point for rule species: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.species import SpeciesSettings
from trapline.species.stage import SpeciesInputs, SpeciesOutputs, species_stage

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
i = snakemake.input
optional = {"crop_store": "crop_embeddings", "reference_store": "reference_embeddings"}
species_stage(
    SpeciesInputs(
        images=Path(i.images),
        summary=Path(i.summary),
        raw=Path(i.raw),
        detections=Path(i.detections),
        crops=Path(i.crops),
        reference=Path(i.reference) if "reference" in i.keys() else None,
        images_root=Path(snakemake.params.images_root),
        **{field: Path(i[key]) for key, field in optional.items() if key in i.keys()},
    ),
    SpeciesSettings(**snakemake.params.settings),
    SpeciesOutputs(**{k: Path(v) for k, v in snakemake.output.items()}),
)
