"""The identify rule end to end: inputs in, identities and candidates out.

Glue only: it reads the tables, turns embeddings (when configured) into global
candidates with faiss, applies people's review decisions (checked against the
season's crops, the catalogue and the previous run), runs :func:`identify`,
links the two flanks of animals caught by paired cameras, and writes the outputs.
The previous run's identities are kept beside the outputs (``identify/
registry.parquet``, not a Snakemake output, which Snakemake would delete before
the rerun) so that provisional IDs survive reruns.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.embed import load_embeddings
from trapline.identify import CANDIDATE_COLUMNS, IdentifySettings, identify
from trapline.identify.catalogue import REVIEWED, read_catalogue
from trapline.identify.core import SIMILAR_COLUMNS
from trapline.identify.decisions import DecisionContext, read_decisions
from trapline.identify.flanks import link_flanks, simultaneous_pairs
from trapline.identify.matching import IndexSettings, top_candidates
from trapline.identify.merges import apply_identity_decisions
from trapline.identify.tags import (
    TaggedCrops,
    pair_by_scores,
    tag_sources,
    tagged_crops,
    with_tags,
)
from trapline.io import write_atomic
from trapline.tables import CROPS, IDENTITIES, IMAGES

log = logging.getLogger(__name__)

REVIEWED_PER_FLANK = 3
"""Confirmed crops of one animal and flank that become catalogue references
(the simulated catalogue holds two per flank)."""


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
    similar: Path


def identify_stage(
    inputs: IdentifyInputs,
    settings: IdentifySettings,
    out: IdentifyOutputs,
    threads: int = 1,
) -> None:
    """Run identification and write identities, candidates and calibration."""
    index, top_k = settings.index(threads), settings.top_k
    crops = CROPS.read(inputs.crops)
    images = IMAGES.read(inputs.images)
    if not crops["species"].isin(settings.target_species).any():
        log.warning("no crop of %s: nothing to identify", settings.target_species)
        _write(out, IDENTITIES.empty(), pd.DataFrame(columns=CANDIDATE_COLUMNS), {})
        return
    registry = out.identities.parent / "identify" / "registry.parquet"
    previous = pd.read_parquet(registry) if registry.is_file() else None
    seen_file = out.identities.parent / "identify" / "identities-seen.parquet"
    seen = _identities_seen(seen_file, previous)
    catalogue = read_catalogue(inputs.catalogue)
    known = set(catalogue["individual_id"])  # the user's catalogue, before review
    decisions = read_decisions(
        inputs.decisions, _decision_context(crops, settings, known, previous, seen)
    )
    tags = (  # with truth: tags the tags only score the run (identify.tagmetrics)
        TaggedCrops()
        if settings.truth == "tags"
        else tagged_crops(crops, images, known, settings.target_species)
    )
    # Tagged crops are references too, so untagged crops of tagged animals match.
    confirmed = tags.forced | decisions.forced
    catalogue = _with_reviewed(catalogue, crops, confirmed, previous, inputs)
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
        forced=tags.forced | decisions.forced,  # a review decision is the later word
        feature_cache=out.identities.parent / "identify" / "cache",
        embeddings=embeddings,
        threads=threads,
    )
    if result.identities["crop_id"].duplicated().any():
        raise RuntimeError("identify returned a crop twice")
    # Several tagged animals in one frame: paired by the machine's matches.
    tags = pair_by_scores(tags, result.candidates, decisions.forced)
    identities = with_tags(result.identities, tags, decisions.forced)
    target = crops[crops["crop_id"].isin(identities["crop_id"])]
    tagged = identities["individual_id"].isin(tags.names)
    identities, conflicts = link_flanks(  # two tagged animals are never one
        identities.assign(is_new=identities["is_new"] & ~tagged),
        simultaneous_pairs(target, images),
        decisions.distinct,
    )
    identities, not_applied = apply_identity_decisions(identities, decisions, known)
    # Flank links and merges may have renamed a new animal to a catalogue one.
    identities["is_new"] = ~identities["individual_id"].isin(known)
    identities = tag_sources(identities, tags, decisions.forced)
    report = result.calibration | {
        "flank_link_conflicts": conflicts,
        "review_decisions_not_applied": not_applied,
        "tags_not_placed": list(tags.unpaired),
    }
    _write(out, identities, result.candidates, report, result.similar)
    write_atomic(registry, lambda tmp: identities.to_parquet(tmp))
    names = sorted(
        seen | set(identities["individual_id"]) | set(identities["cluster_id"])
    )
    table = pd.DataFrame({"identity": names})
    write_atomic(seen_file, lambda tmp: table.to_parquet(tmp, index=False))
    log.info(
        "%d crops: %d individuals (%d new)",
        len(identities),
        identities["individual_id"].nunique(),
        identities.loc[identities["is_new"], "individual_id"].nunique(),
    )


def _write(
    out: IdentifyOutputs,
    identities: pd.DataFrame,
    candidates: pd.DataFrame,
    report: dict,
    similar: pd.DataFrame | None = None,
) -> None:
    IDENTITIES.write(identities, out.identities)
    write_atomic(out.candidates, lambda tmp: candidates.to_parquet(tmp))
    similar = pd.DataFrame(columns=SIMILAR_COLUMNS) if similar is None else similar
    write_atomic(out.similar, lambda tmp: similar.to_parquet(tmp, index=False))
    text = json.dumps(report, indent=2, default=str)
    write_atomic(out.calibration, lambda tmp: Path(tmp).write_text(text))


def _identities_seen(path: Path, previous: pd.DataFrame | None) -> frozenset[str]:
    """Every identity a run ever showed (``identify/identities-seen.parquet``).

    A decisions file grows over rounds of review; a line may name an identity
    that a later decision absorbed (a provisional animal merged into a catalogue
    one). Such a line is valid, if moot; a name never seen is a typo.
    """
    names: set[str] = set()
    if path.is_file():
        names |= set(pd.read_parquet(path)["identity"].dropna())
    if previous is not None:
        for column in ("individual_id", "cluster_id"):
            if column in previous:
                names |= set(previous[column].dropna())
    return frozenset(names)


def _decision_context(
    crops: pd.DataFrame,
    settings: IdentifySettings,
    catalogue: set[str],
    previous: pd.DataFrame | None,
    seen: frozenset[str],
) -> DecisionContext:
    """What a decisions file is checked against: this season's crops and animals,
    and every identity a run ever showed (``seen``)."""
    species = dict(zip(crops["crop_id"], crops["species"], strict=True))
    context = DecisionContext(
        species, frozenset(settings.target_species), frozenset(catalogue), clusters=seen
    )
    if previous is None or previous.empty:
        return context
    clusters = (
        previous["cluster_id"]
        if "cluster_id" in previous
        else previous["individual_id"]
    )
    holds = (
        previous.assign(cluster=clusters)
        .groupby("individual_id")["cluster"]
        .agg(frozenset)
        .to_dict()
    )
    return dataclasses.replace(
        context,
        previous=dict(zip(previous["crop_id"], previous["individual_id"], strict=True)),
        previous_names=holds,
    )


def _with_reviewed(
    catalogue: pd.DataFrame,
    crops: pd.DataFrame,
    forced: dict[str, str],
    previous: pd.DataFrame | None,
    inputs: IdentifyInputs,
) -> pd.DataFrame:
    """Crops a person confirmed join the catalogue as references of their animal.

    At most :data:`REVIEWED_PER_FLANK` per animal and flank (spread over its
    confirmed crops): a match takes the best of an animal's references, so an
    animal with a hundred confirmed crops as references would win spurious
    matches by sheer numbers (measured on the demo: a confirmed gallery of 96
    crops drew another animal's 12 crops). The confirmed crops keep their
    identity whether or not they are references.
    """
    if not forced:
        return catalogue
    flanks = (
        {}
        if previous is None
        else dict(zip(previous["crop_id"], previous["flank"], strict=True))
    )
    paths = dict(zip(crops["crop_id"], crops["crop_path"], strict=True))
    forced = _spread_references(forced, flanks)
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


def _spread_references(
    forced: dict[str, str], flanks: dict[str, str]
) -> dict[str, str]:
    """Up to ``REVIEWED_PER_FLANK`` confirmed crops per animal and flank, evenly
    spread over the animal's crops in id order (deterministic across reruns)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for crop in sorted(forced):
        groups.setdefault((forced[crop], flanks.get(crop, "unknown")), []).append(crop)
    kept = {}
    for (individual, _), members in groups.items():
        n = min(len(members), REVIEWED_PER_FLANK)
        step = len(members) / n
        kept |= {members[int(k * step)]: individual for k in range(n)}
    return kept


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
