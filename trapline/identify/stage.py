"""The identify rule end to end: inputs in, identities, candidates and review out.

Glue only: it reads the tables, turns embeddings (when configured) into global
candidates with faiss, applies people's review decisions (checked against the
season's crops, the catalogue and the previous run), runs :func:`identify`,
links the two flanks of animals caught by paired cameras, and writes the outputs.
The previous run's identities are kept beside the outputs (``identify/
registry.parquet``, not a Snakemake output, which Snakemake would delete before
the rerun) so that provisional IDs survive reruns.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.embed import load_embeddings
from trapline.identify import CANDIDATE_COLUMNS, IdentifySettings, identify
from trapline.identify.catalogue import read_catalogue
from trapline.identify.decisions import DecisionContext, read_decisions
from trapline.identify.flanks import link_flanks, simultaneous_pairs
from trapline.identify.matching import IndexSettings, top_candidates
from trapline.identify.review import review_queue, write_review
from trapline.io import write_atomic
from trapline.tables import CROPS, IDENTITIES, IMAGES

log = logging.getLogger(__name__)

REVIEWED = "review:"
"""Prefix of reference ids of crops a person confirmed (kept apart from crop ids)."""


@dataclass(frozen=True)
class IdentifyInputs:
    """Where the identify rule reads."""

    crops: Path
    images: Path
    catalogue: Path
    results: Path
    images_root: Path
    decisions: Path | None = None
    crop_embeddings: list[Path] | None = None
    catalogue_embeddings: Path | None = None


@dataclass(frozen=True)
class IdentifyOutputs:
    """Where the identify rule writes."""

    identities: Path
    candidates: Path
    calibration: Path
    review_sheet: Path
    review_decisions: Path


def identify_stage(
    inputs: IdentifyInputs,
    settings: IdentifySettings,
    out: IdentifyOutputs,
    threads: int = 1,
) -> None:
    """Run identification and write identities, candidates, calibration, review."""
    index, top_k, review = settings.index(threads), settings.top_k, settings.review
    crops = CROPS.read(inputs.crops)
    images = IMAGES.read(inputs.images)
    if not crops["species"].isin(settings.target_species).any():
        log.warning("no crop of %s: nothing to identify", settings.target_species)
        _write(out, IDENTITIES.empty(), pd.DataFrame(columns=CANDIDATE_COLUMNS), {})
        write_review(
            pd.DataFrame(columns=["crop_id", "proposed_individual", "is_new"]),
            pd.DataFrame(columns=CANDIDATE_COLUMNS),
            {},
            {},
            out.review_sheet,
            out.review_decisions,
        )
        return
    registry = out.identities.parent / "identify" / "registry.parquet"
    previous = pd.read_parquet(registry) if registry.is_file() else None
    catalogue = read_catalogue(inputs.catalogue)
    known = set(catalogue["individual_id"])  # the user's catalogue, before review
    decisions = read_decisions(
        inputs.decisions, _decision_context(crops, settings, known, previous)
    )
    catalogue = _with_reviewed(catalogue, crops, decisions.forced, previous, inputs)
    candidates, reference_scores, embeddings = _global_scores(
        inputs, crops, catalogue, index, top_k
    )
    result = identify(
        crops,
        images,
        catalogue,
        settings,
        crops_root=inputs.results,
        images_root=inputs.images_root,
        candidates=candidates,
        reference_scores=reference_scores,
        previous=previous,
        forbidden=decisions.forbidden,
        forced=decisions.forced,
        feature_cache=out.identities.parent / "identify" / "cache",
        embeddings=embeddings,
        threads=threads,
    )
    if result.identities["crop_id"].duplicated().any():
        raise RuntimeError("identify returned a crop twice")
    target = crops[crops["crop_id"].isin(result.identities["crop_id"])]
    identities, conflicts = link_flanks(
        result.identities, simultaneous_pairs(target, images)
    )
    # Flank links may have renamed a new animal to a catalogue one.
    identities["is_new"] = ~identities["individual_id"].isin(known)
    report = result.calibration | {"flank_link_conflicts": conflicts}
    _write(out, identities, result.candidates, report)
    write_atomic(registry, lambda tmp: identities.to_parquet(tmp))
    queue = review_queue(identities, result.candidates, review.low, review.high)
    crop_paths = {
        c: inputs.results / p
        for c, p in zip(crops["crop_id"], crops["crop_path"], strict=True)
    }
    ref_paths = dict(
        zip(catalogue["ref_id"], map(Path, catalogue["path"]), strict=True)
    )
    write_review(
        queue,
        result.candidates,
        crop_paths,
        ref_paths,
        out.review_sheet,
        out.review_decisions,
    )
    log.info(
        "%d crops: %d individuals (%d new), %d for review",
        len(identities),
        identities["individual_id"].nunique(),
        identities.loc[identities["is_new"], "individual_id"].nunique(),
        len(queue),
    )


def _write(
    out: IdentifyOutputs,
    identities: pd.DataFrame,
    candidates: pd.DataFrame,
    report: dict,
) -> None:
    IDENTITIES.write(identities, out.identities)
    write_atomic(out.candidates, lambda tmp: candidates.to_parquet(tmp))
    text = json.dumps(report, indent=2, default=str)
    write_atomic(out.calibration, lambda tmp: Path(tmp).write_text(text))


def _decision_context(
    crops: pd.DataFrame,
    settings: IdentifySettings,
    catalogue: set[str],
    previous: pd.DataFrame | None,
) -> DecisionContext:
    """What a decisions file is checked against: this season's crops and animals."""
    return DecisionContext(
        species=dict(zip(crops["crop_id"], crops["species"], strict=True)),
        target_species=frozenset(settings.target_species),
        catalogue=frozenset(catalogue),
        previous=(
            {}
            if previous is None
            else dict(zip(previous["crop_id"], previous["individual_id"], strict=True))
        ),
    )


def _with_reviewed(
    catalogue: pd.DataFrame,
    crops: pd.DataFrame,
    forced: dict[str, str],
    previous: pd.DataFrame | None,
    inputs: IdentifyInputs,
) -> pd.DataFrame:
    """Crops a person confirmed join the catalogue as references of their animal."""
    if not forced:
        return catalogue
    flanks = (
        {}
        if previous is None
        else dict(zip(previous["crop_id"], previous["flank"], strict=True))
    )
    paths = dict(zip(crops["crop_id"], crops["crop_path"], strict=True))
    rows = pd.DataFrame(
        [
            {
                "ref_id": REVIEWED + crop,
                "individual_id": individual,
                "flank": flanks.get(crop, "unknown"),
                "path": str((inputs.results / paths[crop]).resolve()),
                "bbox_x": 0.0,
                "bbox_y": 0.0,
                "bbox_w": 1.0,
                "bbox_h": 1.0,
            }
            for crop, individual in forced.items()
            if crop in paths
        ],
        columns=catalogue.columns,
    )
    return pd.concat([catalogue, rows], ignore_index=True)


def _global_scores(
    inputs: IdentifyInputs,
    crops: pd.DataFrame,
    catalogue: pd.DataFrame,
    index: IndexSettings,
    top_k: int,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, np.ndarray] | None]:
    """faiss candidates per crop, catalogue pair scores and the crops' vectors
    (which also pick each unmatched track's nearest tracks), when embeddings
    exist."""
    if inputs.crop_embeddings is None or inputs.catalogue_embeddings is None:
        return None, None, None
    crop_ids, crop_vectors, crop_model = load_embeddings(inputs.crop_embeddings)
    ref_ids, ref_vectors, ref_model = load_embeddings(inputs.catalogue_embeddings)
    row_of = {c: i for i, c in enumerate(crop_ids)}
    reviewed = [
        r
        for r in catalogue["ref_id"]
        if r.startswith(REVIEWED) and r.removeprefix(REVIEWED) in row_of
    ]
    if reviewed:  # confirmed crops are references too, with their crop vectors
        rows = [row_of[r.removeprefix(REVIEWED)] for r in reviewed]
        ref_ids = ref_ids + reviewed
        ref_vectors = np.vstack([ref_vectors, crop_vectors[rows]])
    if crop_model != ref_model:
        raise ValueError(
            f"crops were embedded with {crop_model} but the catalogue with "
            f"{ref_model}; rerun both embed rules with the same `embed.model`"
        )
    wanted = set(crops["crop_id"])
    keep = np.array([c in wanted for c in crop_ids], dtype=bool)
    queries = [c for c, k in zip(crop_ids, keep, strict=True) if k]
    candidates = top_candidates(
        queries, crop_vectors[keep], ref_ids, ref_vectors, top_k, index
    )
    embeddings = {c: crop_vectors[row_of[c]] for c in queries}
    return (
        candidates,
        _reference_scores(ref_ids, ref_vectors, catalogue, index),
        embeddings,
    )


def _reference_scores(
    ref_ids: list[str],
    vectors: np.ndarray,
    catalogue: pd.DataFrame,
    index: IndexSettings,
    all_pairs_max: int = 2000,
) -> pd.DataFrame:
    """Global scores of catalogue pairs: the calibration's training data.

    Every pair for ordinary catalogues; above ``all_pairs_max`` references, each
    reference's 50 nearest others plus every pair of the same individual, which
    holds the positives and the hardest negatives without n² pairs.
    """
    names = np.asarray(ref_ids, dtype=object)
    if len(ref_ids) <= all_pairs_max:
        a, b = np.triu_indices(len(ref_ids), k=1)
    else:
        near = top_candidates(ref_ids, vectors, ref_ids, vectors, 51, index)
        row = {r: i for i, r in enumerate(ref_ids)}
        same = catalogue[catalogue["ref_id"].isin(row)].merge(
            catalogue[["ref_id", "individual_id"]], on="individual_id"
        )
        pairs = {
            tuple(sorted((row[x], row[y])))
            for x, y in [
                *zip(near["crop_id"], near["ref_id"], strict=True),
                *zip(same["ref_id_x"], same["ref_id_y"], strict=True),
            ]
            if x != y
        }
        a, b = (np.array(v, dtype=int) for v in zip(*sorted(pairs), strict=True))
    scores = np.einsum("ij,ij->i", vectors[a], vectors[b])
    return pd.DataFrame({"ref_a": names[a], "ref_b": names[b], "global_score": scores})
