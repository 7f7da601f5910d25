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
species_stage(
    SpeciesInputs(
        images=Path(i.images),
        summary=Path(i.summary),
        raw=Path(i.raw),
        detections=Path(i.detections),
        crops=[Path(p) for p in i.crops],
        reference=Path(i.reference) if "reference" in i.keys() else None,
        images_root=Path(snakemake.params.images_root),
        crop_embeddings=(
            [Path(p) for p in i.crop_store] if "crop_store" in i.keys() else None
        ),
        reference_embeddings=(
            Path(i.reference_store) if "reference_store" in i.keys() else None
        ),
    ),
    SpeciesSettings(**snakemake.params.settings),
    SpeciesOutputs(**{k: Path(v) for k, v in snakemake.output.items()}),
)
