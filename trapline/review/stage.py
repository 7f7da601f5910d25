"""The review rule: identities in, a self-contained review folder out.

Apart from the identify rule so that rebuilding the page (new thumbnails size,
a new version of the page) never reruns identification, and so that the folder
is one Snakemake ``directory()`` output, replaced whole on each run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trapline.identify.catalogue import REVIEWED, read_catalogue
from trapline.identify.decisions import DECISION_COLUMNS, read_decisions
from trapline.review.folder import review_data, write_folder
from trapline.review.queues import ReviewSettings, Season
from trapline.tables import CROPS, IDENTITIES, IMAGES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReviewInputs:
    """Where the review rule reads."""

    identities: Path
    candidates: Path
    crops: Path
    images: Path
    catalogue: Path
    results: Path
    similar: Path | None = None
    decisions: Path | None = None


def review_stage(inputs: ReviewInputs, settings: ReviewSettings, out: Path) -> None:
    """Write the review folder ``out`` (page, data, images; a decisions template)."""
    identities = IDENTITIES.read(inputs.identities)
    candidates = pd.read_parquet(inputs.candidates)
    crops = CROPS.read(inputs.crops)
    images = IMAGES.read(inputs.images)
    catalogue = read_catalogue(inputs.catalogue)
    target = crops[crops["crop_id"].isin(set(identities["crop_id"]))].merge(
        images[["image_id", "station", "camera", "datetime"]], on="image_id"
    )
    decisions = read_decisions(inputs.decisions)  # checked by the identify rule
    similar = pd.read_parquet(inputs.similar) if inputs.similar else None
    crop_paths = {
        c: inputs.results / p
        for c, p in zip(target["crop_id"], target["crop_path"], strict=True)
    }
    ref_paths = dict(
        zip(catalogue["ref_id"], map(Path, catalogue["path"]), strict=True)
    )
    # Crops a person confirmed are references too (``review:<crop_id>``).
    ref_paths |= {REVIEWED + c: p for c, p in crop_paths.items()}
    catalogue = _with_reviewed_references(catalogue, candidates, identities)
    season = Season(identities, candidates, target, catalogue, decisions, similar)
    previous = list(decisions.lines)
    data = review_data(season, settings, crop_paths, ref_paths, previous, out)
    write_folder(data, out)
    _template(data, out / "decisions.csv", previous)
    queues = data["queues"]
    log.info(
        "review: %d flank links, %d new animals, %d matches to review; %d images in %s",
        len(queues["flanks"]),
        len(queues["animals"]),
        len(queues["matches"]),
        len(data["crops"]) + len(data["refs"]),
        out,
    )


def _with_reviewed_references(
    catalogue: pd.DataFrame, candidates: pd.DataFrame, identities: pd.DataFrame
) -> pd.DataFrame:
    """The catalogue plus the confirmed crops that served as references."""
    reviewed = sorted(
        r for r in set(candidates["ref_id"]) if str(r).startswith(REVIEWED)
    )
    if not reviewed:
        return catalogue
    refs = pd.DataFrame(
        {"ref_id": reviewed, "crop_id": [r.removeprefix(REVIEWED) for r in reviewed]}
    )
    extra = refs.merge(identities[["crop_id", "individual_id", "flank"]])[
        ["ref_id", "individual_id", "flank"]
    ]
    return pd.concat([catalogue, extra], ignore_index=True)


def _template(data: dict, path: Path, previous: list[dict[str, str]]) -> None:
    """The decisions CSV to fill by hand: earlier lines, then one empty line per
    match to decide (the page writes the same format)."""
    rows = list(previous)
    for item in data["queues"]["matches"]:
        rows.append(
            dict.fromkeys(DECISION_COLUMNS, "")
            | {
                "crop_id": item["crop"],
                "proposed_individual": item["candidates"][0]["individual"],
            }
        )
    pd.DataFrame(rows, columns=DECISION_COLUMNS).to_csv(path, index=False)
