"""The machine scored on people's own identifications (``identify.truth: tags``).

A programme with tagged images has the best yardstick there is: its own
identifications of real animals. With ``identify.truth: tags`` the identify
stage runs as if the tags were absent, and this pairs the tags with the crops
where the tags alone are certain (:func:`trapline.identify.tags.tagged_crops`:
one individual on one crop; images with several animals are paired by the
machine's own matches in a tagged run, so they cannot score it) and scores the
run as on a simulated season: top-1 for catalogue individuals, BAKS/BAUS, ARI.
Tags carry no flank, so new animals are clustered in one group: the two
unlinked flanks of one new animal count against ARI here, unlike on the
simulator, where clustering is scored within each true flank.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from trapline.identify.catalogue import read_catalogue
from trapline.identify.metrics import identification_metrics
from trapline.identify.tags import tagged_crops
from trapline.io import write_atomic
from trapline.tables import CROPS, IDENTITIES, IMAGES

log = logging.getLogger(__name__)


def tag_truth(
    crops: pd.DataFrame,
    images: pd.DataFrame,
    catalogue_ids: set[str],
    target_species: tuple[str, ...],
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``crop_id, true_id, true_flank`` from the tags, and the tags not placed
    (with the images whose several tagged animals the tags alone cannot put on
    boxes: not scored, each named)."""
    tagged = tagged_crops(crops, images, catalogue_ids, target_species)
    not_scored = tuple(
        f"{path}: {len(names)} individuals tagged on {len(crops_here)} crops: "
        "which box is which is not in the tags (not scored)"
        for path, names, crops_here in tagged.ambiguous
    )
    truth = pd.DataFrame(
        {
            "crop_id": list(tagged.forced),
            "true_id": list(tagged.forced.values()),
            "true_flank": "unknown",
        }
    )
    return truth, tagged.unpaired + not_scored


def tag_metrics_stage(
    identities_in: Path,
    candidates_in: Path,
    crops_in: Path,
    images_in: Path,
    catalogue: Path,
    target_species: tuple[str, ...],
    out: Path,
) -> None:
    """The metrics_tags rule: score identities against the images' tags."""
    known = set(read_catalogue(catalogue)["individual_id"])
    truth, unpaired = tag_truth(
        CROPS.read(crops_in), IMAGES.read(images_in), known, target_species
    )
    identities = IDENTITIES.read(identities_in)
    metrics = identification_metrics(
        identities, pd.read_parquet(candidates_in), truth, known
    )
    metrics |= {
        "truth": "tags",
        "n_tagged_individuals": int(truth["true_id"].nunique()),
        "tags_not_placed": list(unpaired),
    }
    log.info(
        "against %d tagged crops: top-1 %.3f, BAUS %.3f, ARI %.3f",
        len(truth),
        metrics["top1"],
        metrics["baus"],
        metrics["ari"],
    )
    text = json.dumps(metrics, indent=2, default=str)
    write_atomic(out, lambda tmp: Path(tmp).write_text(text))
