# Snakemake entry point for rule identify: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.identify import IdentifySettings
from trapline.identify.stage import (
    IdentifyInputs,
    IdentifyOutputs,
    ReviewBand,
    identify_stage,
)
from trapline.matching import IndexSettings

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p, i = snakemake.params, snakemake.input
identify_stage(
    IdentifyInputs(
        crops=Path(i.crops),
        images=Path(i.images),
        catalogue=Path(i.catalogue),
        results=Path(p.results),
        images_root=Path(p.images_root),
        decisions=Path(i.decisions) if "decisions" in i.keys() else None,
        crop_embeddings=(
            [Path(p) for p in i.crop_store] if "crop_store" in i.keys() else None
        ),
        catalogue_embeddings=Path(i.ref_store) if "ref_store" in i.keys() else None,
    ),
    IdentifySettings(
        target_species=tuple(p.target_species), target_precision=p.target_precision
    ),
    IndexSettings(
        p.exact_max_refs, p.index_method, nprobe=p.nprobe, threads=snakemake.threads
    ),
    p.top_k,
    ReviewBand(p.review_low, p.review_high),
    IdentifyOutputs(**{k: Path(v) for k, v in snakemake.output.items()}),
)
