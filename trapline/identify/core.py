"""Identification: which individual is in each target-species crop.

Candidates (every catalogue reference, or the top-k of a global embedding search)
are verified with local features; scores become calibrated probabilities; the
crops of one track decide together; tracks that match no known animal are
clustered into provisional new individuals whose IDs survive reruns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
import pandas as pd

from trapline.identify.background import build_backgrounds
from trapline.identify.calibration import Calibration, fit_calibration
from trapline.identify.catalogue import REVIEWED
from trapline.identify.clusters import stable_ids
from trapline.identify.decide import (
    candidate_table,
    decide_tracks,
    forced_tracks,
    majority,
    new_individuals,
)
from trapline.identify.features import reference_features
from trapline.identify.localfeatures import Features, FeatureSettings
from trapline.identify.matching import IndexSettings
from trapline.identify.progress import Progress
from trapline.identify.scoring import (
    PairCache,
    allowed_references,
    catalogue_pair_counts,
    crop_pairs,
)
from trapline.identify.shortlist import DEFAULT_SHORTLIST, ShortlistSettings
from trapline.identify.store import CropStore
from trapline.identify.tracks import link_tracks
from trapline.tables import IDENTITIES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentifySettings:
    """Config ``identify`` (and the top-level ``target_species``).

    Args:
        catalogue: the known individuals, a folder or a CSV.
        catalogue_kind: ``references`` (``<individual_id>/*.jpg`` or a table) or
            ``tagged`` (a folder of tagged images the workflow turns into a
            table first, :mod:`trapline.identify.tagfolder`).
        catalogue_detections: a tagged catalogue's MegaDetector file (workflow).
        decisions: the filled review decisions CSV to apply.
        target_precision: precision the open-set threshold must reach on the
            catalogue's own pairs; below it a track is a new individual.
        calibration_pairs: catalogue pairs verified for that calibration
            (every positive; a weighted sample of negatives above this; 0: all).
        top_k: candidates per crop from the embedding search.
        exact_max_refs, index_method, nprobe: the faiss search (see
            :class:`~trapline.identify.matching.IndexSettings`).
        review_low, review_high: the review band: a match below ``review_high``,
            or a new-animal call whose best candidate reaches ``review_low``, is
            queued for a person (:mod:`trapline.review.queues`).
        target_species: only crops of these species are identified (config's
            top-level ``target_species``).
        candidates_kept: candidate rows written per crop (for review and top-k).
        representatives: crops per track compared when clustering new animals
            (those with most keypoints: sharp, large, unoccluded). Each edge of
            the new-animal graph verifies representatives² pairs: 2 instead of 3
            verify 4 pairs instead of 9 and shrink the vote index by a third;
            the demo's groups are the same (ARI 0.999), the bench season l's
            ARI 0.435 against 0.454 (docs/benchmarks.md).
        local: local-feature settings.
        shortlist: how many pairs are verified (config ``identify.shortlist``).
        truth: ``tags``: identify as if the images carried no individual tags
            and score the result against them (``metrics.json``); None: tags
            decide the crops they name.
    """

    catalogue: str | None = None
    catalogue_kind: str = "references"
    catalogue_detections: str | None = None
    decisions: str | None = None
    target_precision: float = 0.95
    calibration_pairs: int = 20_000
    top_k: int = 5
    exact_max_refs: int = 5000
    index_method: str = "bf16"
    nprobe: int = 16
    review_low: float = 0.2
    review_high: float = 0.9
    target_species: tuple[str, ...] = ("Lynx lynx",)
    candidates_kept: int = 20
    representatives: int = 2
    local: FeatureSettings = field(default_factory=FeatureSettings)
    shortlist: ShortlistSettings = field(default_factory=ShortlistSettings)
    truth: str | None = None

    def index(self, threads: int = 1) -> IndexSettings:
        """The faiss search these settings ask for, on ``threads`` threads."""
        return IndexSettings(
            self.exact_max_refs, self.index_method, nprobe=self.nprobe, threads=threads
        )


SIMILAR_COLUMNS = ["crop_a", "crop_b", "inliers"]


@dataclass(frozen=True)
class Identification:
    """The outputs: identities, ranked candidates, the calibration report, and
    the verified pairs of crops of different tracks (``crop_a, crop_b,
    inliers``; those with inliers), the evidence the review shows when a person
    asks which animal a new one might be."""

    identities: pd.DataFrame
    candidates: pd.DataFrame
    calibration: dict
    similar: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=SIMILAR_COLUMNS)
    )


def _previous_clusters(previous: pd.DataFrame | None) -> dict[str, str]:
    """crop → the provisional cluster it was in last run (before flank links and
    review merges, which are applied again on top: the clusters must keep their
    own ids for a person's merge of two of them to apply again)."""
    if previous is None or previous.empty:
        return {}
    column = "cluster_id" if "cluster_id" in previous else "individual_id"
    new = previous[previous["is_new"].astype(bool) & previous[column].notna()]
    return dict(zip(new["crop_id"], new[column], strict=True))


def _with_global(pairs: pd.DataFrame, reference_scores: pd.DataFrame) -> pd.DataFrame:
    """Attach the global score of each pair, given in either order."""
    both = pd.concat(
        [
            reference_scores,
            reference_scores.rename(columns={"ref_a": "ref_b", "ref_b": "ref_a"}),
        ]
    ).drop_duplicates(["ref_a", "ref_b"])
    pairs = pairs.merge(both, on=["ref_a", "ref_b"], how="left")
    if pairs["global_score"].isna().any():
        raise ValueError(
            "reference_scores lacks global scores for some same-flank pairs of "
            "catalogue references; the fused calibration needs all of them"
        )
    return pairs


def _scores(
    target: pd.DataFrame,
    catalogue: pd.DataFrame,
    store: CropStore,
    refs: dict[str, Features],
    candidates: pd.DataFrame | None,
    calibration: Calibration,
    settings: FeatureSettings,
    pair_cache: Path | None = None,
    shortlist: ShortlistSettings = DEFAULT_SHORTLIST,
    allowed: dict[str, np.ndarray] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Every verified (crop, reference) pair with inliers and probability.

    Which pairs: the embedding search's top-k (``candidates``); without it each
    crop's shortlist by descriptor votes (:mod:`trapline.identify.shortlist`),
    or every reference of a small catalogue.

    Geometric verification is the costly step of a rerun; with ``pair_cache`` the
    inlier counts of pairs verified before are read back, so a rerun after a new
    card verifies only the pairs of its new crops. A count is reused only for the
    same two features: it is keyed by both features' keys, which name the crop,
    the reference, the feature settings and the background that masked the crop
    (new frames at a deployment change its background, hence its crops' features
    and every count of theirs). A crop's shortlist depends only on its own
    features and the catalogue, so a rerun shortlists it as before.

    Args:
        allowed: crop → the catalogue rows the shortlist may spend its places
            on (default: all).
    """
    crop_ids = target["crop_id"].tolist()
    if candidates is not None:
        candidates = candidates[candidates["crop_id"].isin(set(crop_ids))]
    if allowed is None:
        allowed = dict.fromkeys(crop_ids, np.ones(len(catalogue), bool))
    cache = PairCache(pair_cache, workers)
    pairs = crop_pairs(
        crop_ids, store, catalogue, refs, candidates, allowed, shortlist, settings,
        cache,
    )  # fmt: skip
    log.info(
        "crop pairs verified now: %d, from cache: %d", cache.verified, cache.reused
    )
    cache.save()
    pairs["probability"] = calibration.probability(
        pairs["inliers"].to_numpy(), pairs["global_score"].to_numpy()
    )
    meta = catalogue.set_index("ref_id")[["individual_id", "flank"]]
    return pairs.join(meta, on="ref_id")


def identify(
    crops: pd.DataFrame,
    images: pd.DataFrame,
    catalogue: pd.DataFrame,
    settings: IdentifySettings = IdentifySettings(),
    *,
    crops_root: Path,
    images_root: Path | None = None,
    candidates: pd.DataFrame | None = None,
    reference_scores: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    forbidden: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    forced: dict[str, str] | None = None,
    feature_cache: Path | None = None,
    embeddings: dict[str, np.ndarray] | None = None,
    threads: int | None = None,
) -> Identification:
    """Identify every target-species crop.

    Args:
        crops: the crops table; ``crop_path`` is relative to ``crops_root``.
        images: the images table (``image_id, path, deployment_id,
            sequence_id, datetime, width, height``).
        catalogue: from ``trapline.catalogue.read_catalogue``.
        images_root: the season's image folder; with it, each deployment's
            background is estimated and masked out; without it, the box
            interior is used.
        candidates: ``crop_id, ref_id, global_score`` (top-k of a global
            search); None shortlists references by descriptor votes.
        reference_scores: ``ref_a, ref_b, global_score`` for same-flank
            catalogue pairs; required with ``candidates`` so the fused score is
            calibrated like the local one.
        previous: the previous run's identities; provisional IDs are kept.
        forbidden: (crop, individual) pairs a person rejected.
        forced: crop → individual a person confirmed (source ``review``).
        feature_cache: folder for per-crop features and backgrounds (and the
            verified pairs); with it, crops' features are read back in batches
            instead of all held in memory.
        embeddings: crop → embedding vector; with them unmatched tracks are
            compared with their nearest tracks by embedding.
        threads: faiss threads (None: faiss's default, every core).
    """
    if threads is not None:
        faiss.omp_set_num_threads(max(1, threads))
    if candidates is not None and reference_scores is None:
        raise ValueError(
            "candidates with global scores need reference_scores (global scores of "
            "catalogue reference pairs) to calibrate the fused score"
        )
    forced = forced or {}
    forbidden = set(forbidden)
    target = crops[crops["species"].isin(settings.target_species)]
    target = target.sort_values("crop_id", ignore_index=True)
    local, shortlist = settings.local, settings.shortlist
    progress = Progress("backgrounds", images["deployment_id"].nunique(), "deployments")
    backgrounds = (
        build_backgrounds(images, crops, images_root, local, feature_cache)
        if images_root is not None
        else {}
    )
    progress.advance(progress.total)
    progress.finish()
    workers = threads or 1
    store = CropStore(
        target, images, crops_root, backgrounds, local, feature_cache, workers=workers
    )
    progress = Progress("reference features", len(catalogue), "references")
    reviewed = catalogue["ref_id"].astype(str).str.startswith(REVIEWED)
    refs = reference_features(catalogue[~reviewed], local, feature_cache)
    # A crop a person confirmed is a reference with the features it has as a
    # crop, masked against its deployment's background: as a catalogue photo
    # (the box's interior) it would carry the station's background, and match
    # every other animal photographed there.
    confirmed = {r: r.removeprefix(REVIEWED) for r in catalogue.loc[reviewed, "ref_id"]}
    held = store.load([c for c in confirmed.values() if c in store.keys])
    refs |= {r: held[c] for r, c in confirmed.items() if c in held}
    catalogue = catalogue[catalogue["ref_id"].isin(refs.keys())]
    own = catalogue[~catalogue["ref_id"].isin(confirmed.keys())]
    progress.advance(len(catalogue))
    progress.finish()
    ref_pairs = PairCache(
        feature_cache / "pairs-catalogue.parquet" if feature_cache else None, workers
    )
    # Calibration on the user's catalogue only: crops a person confirmed are
    # references for matching, but as calibration pairs (frames of one passage,
    # near copies) they would move the threshold, and with it calls nobody
    # reviewed, on every rerun after a review.
    pairs = catalogue_pair_counts(
        own, refs, local, ref_pairs, settings.calibration_pairs
    )
    log.info(
        "catalogue pairs verified now: %d, from cache: %d",
        ref_pairs.verified,
        ref_pairs.reused,
    )
    ref_pairs.save()
    precision = settings.target_precision
    local_cal = fit_calibration(pairs, precision, uses_global=False)
    fused_cal = (
        fit_calibration(_with_global(pairs, reference_scores), precision, True)
        if reference_scores is not None
        else local_cal
    )
    pair_cache = feature_cache / "pairs.parquet" if feature_cache else None
    tracks = link_tracks(target, images)
    scores = _scores(
        target, catalogue, store, refs, candidates, fused_cal, local, pair_cache,
        shortlist, allowed_references(tracks, catalogue, forbidden), workers,
    )  # fmt: skip
    decided = decide_tracks(scores, tracks, fused_cal.threshold, forbidden)

    by_track = tracks.groupby("track_id")
    forced_track, forced_conflicts = forced_tracks(by_track, forced)
    open_tracks = [t for t in by_track.groups if t not in decided | forced_track]
    track_pairs = PairCache(
        feature_cache / "pairs-tracks.parquet" if feature_cache else None, workers
    )
    clusters = new_individuals(
        open_tracks, tracks, store, local_cal, settings.representatives, local,
        shortlist, track_pairs, embeddings,
    )  # fmt: skip
    track_pairs.save()
    similar = pd.DataFrame(
        [(a, b, n) for a, b, _, _, n in track_pairs.rows if n > 0],
        columns=SIMILAR_COLUMNS,
    ).drop_duplicates(["crop_a", "crop_b"])
    prev = _previous_clusters(previous)
    crop_ids_of = by_track["crop_id"].apply(list).to_dict()
    crops_of = [[c for t in cluster for c in crop_ids_of[t]] for cluster in clusters]
    taken = set(catalogue["individual_id"]) | set(forced.values())
    names = stable_ids(crops_of, prev, taken, forbidden)

    motion = by_track["motion_flank"].first().to_dict()
    best_p = scores.groupby("crop_id")["probability"].max()
    known = set(catalogue["individual_id"])
    rows = []
    for track_id, (ind, p, flank) in decided.items():
        if track_id in forced_track:  # a person's decision overrides the match
            continue
        rows += [
            (c, ind, False, "catalogue", p, flank, track_id)
            for c in crop_ids_of[track_id]
        ]
    for track_id, ind in forced_track.items():
        flank = motion[track_id]
        if flank == "unknown" and ind in known:
            mine = scores[scores["crop_id"].isin(crop_ids_of[track_id])]
            mine = mine[mine["individual_id"] == ind]
            if len(mine):
                flank = mine.loc[mine["probability"].idxmax(), "flank"]
        for c in crop_ids_of[track_id]:
            name = forced.get(c, ind)  # a person's word on a crop is never overruled
            source = (
                "review" if c in forced else "catalogue" if name in known else "auto"
            )
            rows.append((c, name, name not in known, source, 1.0, flank, track_id))
    for cluster, name in zip(clusters, names, strict=True):
        flank = majority([motion[t] for t in cluster], "unknown")
        for t in cluster:
            for c in crop_ids_of[t]:
                score = 1.0 - float(best_p.get(c, 0.0))
                rows.append((c, name, True, "auto", score, flank, t))
    columns = [c for c in IDENTITIES.names if c != "cluster_id"]
    identities = pd.DataFrame(rows, columns=columns)
    # Before flank links and review merges (applied by the stage) every identity
    # is its own cluster.
    identities["cluster_id"] = identities["individual_id"]
    identities = identities[IDENTITIES.names]
    identities = identities.sort_values("crop_id", ignore_index=True)
    return Identification(
        identities,
        candidate_table(scores, forbidden, settings.candidates_kept),
        {
            "local": local_cal.report,
            "fused": fused_cal.report if reference_scores is not None else None,
            "n_crops": len(target),
            "n_tracks": int(tracks["track_id"].nunique()),
            "n_new_individuals": len(clusters),
            "forced_conflicts": forced_conflicts,
        },
        similar.sort_values(SIMILAR_COLUMNS[:2], ignore_index=True),
    )
