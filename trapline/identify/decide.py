"""Decisions: catalogue matches per track, new animals, the candidate table."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from trapline.identify import trackgraph as graph
from trapline.identify.calibration import Calibration
from trapline.identify.clusters import constrained_clusters
from trapline.identify.localfeatures import FeatureSettings
from trapline.identify.progress import Progress
from trapline.identify.scoring import PairCache
from trapline.identify.shortlist import DEFAULT_SHORTLIST, ShortlistSettings
from trapline.identify.store import CropStore

log = logging.getLogger(__name__)

CANDIDATE_COLUMNS = [
    "crop_id", "rank", "individual_id", "ref_id", "global_score", "inliers",
    "probability",
]  # fmt: skip


def decide_tracks(
    scores: pd.DataFrame,
    tracks: pd.DataFrame,
    threshold: float,
    forbidden: set[tuple[str, str]],
) -> dict[str, tuple[str, float, str]]:
    """Track → (catalogue individual, probability, flank) where one is claimed.

    The track's evidence for an individual is its strongest crop-reference
    probability: one sharp frame outweighs blurred ones. A walking direction
    fixes the flank, so references of the other flank are not considered. A
    rejection of any crop bans that individual for its whole track. Two tracks
    in one image cannot be the same animal: the weaker claim yields.
    """
    data = scores.merge(tracks[["crop_id", "track_id", "motion_flank"]], on="crop_id")
    banned = {
        (t, i)
        for t, c, i in zip(
            data["track_id"], data["crop_id"], data["individual_id"], strict=True
        )
        if (c, i) in forbidden
    }
    keep = (data["motion_flank"] == "unknown") | (data["flank"] == data["motion_flank"])
    keep &= np.array(
        [
            (t, i) not in banned
            for t, i in zip(data["track_id"], data["individual_id"], strict=True)
        ],
        bool,
    )
    data = data[keep & (data["probability"] >= threshold)]
    data = data.sort_values(["probability", "inliers"], ascending=False)
    seen = tracks.groupby("track_id")["image_id"].apply(set).to_dict()
    decided: dict[str, tuple[str, float, str]] = {}
    claimed: set[tuple[str, str]] = set()
    for row in data.drop_duplicates(["track_id", "individual_id"]).itertuples():
        if row.track_id in decided:
            continue
        mine = {(img, row.individual_id) for img in seen[row.track_id]}
        if mine & claimed:
            continue
        decided[row.track_id] = (row.individual_id, float(row.probability), row.flank)
        claimed |= mine
    return decided


def new_individuals(
    open_tracks: list[str],
    tracks: pd.DataFrame,
    store: CropStore,
    calibration: Calibration,
    representatives: int,
    local: FeatureSettings,
    shortlist: ShortlistSettings = DEFAULT_SHORTLIST,
    cache: PairCache | None = None,
    embeddings: dict[str, np.ndarray] | None = None,
) -> list[list[str]]:
    """Unmatched tracks grouped into animals (lists of track ids).

    Each track is represented by its crops with most keypoints; a pair of tracks
    scores the best verification among their representatives. Only the pairs of
    a sparse graph are verified: each track's ``shortlist.tracks`` nearest
    allowed tracks, by embedding when every crop has one, by descriptor votes
    otherwise (every allowed pair when the season is that small, or with
    ``tracks: 0``). Then, for up to ``shortlist.closure_rounds`` rounds, tracks
    that share a strong neighbour are verified too (see
    :func:`~trapline.identify.trackgraph.closure`), so an animal's tracks end
    up densely verified. The clustering sees exactly the verified pairs.

    Args:
        store: the crops' features.
        cache: verified representative pairs, kept across runs.
        embeddings: crop → embedding vector, when there are embeddings.
    """
    members = tracks[tracks["track_id"].isin(open_tracks)]
    items = sorted(open_tracks)
    rep_of = graph.representatives(members, store.sizes, representatives)
    reps = [rep_of[t] for t in items]
    images = members.groupby("track_id")["image_id"].apply(set).to_dict()
    flanks = members.groupby("track_id")["motion_flank"].first().to_dict()
    links = graph.Links([images[t] for t in items], [flanks[t] for t in items])
    k = shortlist.tracks
    crops_of = members.groupby("track_id")["crop_id"].apply(list).to_dict()
    if k <= 0 or len(items) <= k + 1:
        edges = graph.every_pair(links)
    elif embeddings is not None and all(c in embeddings for c in members["crop_id"]):
        vectors = np.stack(
            [np.mean([embeddings[c] for c in crops_of[t]], axis=0) for t in items]
        )
        edges = graph.nearest_by_embedding(vectors, links, k)
    else:
        edges = graph.nearest_by_votes(reps, store, links, shortlist)
    cache = cache or PairCache(None)
    best = graph.verify_edges(edges, reps, store, local, cache)
    prob = _probabilities(best, calibration)
    for _ in range(shortlist.closure_rounds if 0 < k < len(items) - 1 else 0):
        more = graph.closure(prob, calibration.threshold, links, k)
        if not more:
            break
        best |= graph.verify_edges(more, reps, store, local, cache)
        prob = _probabilities(best, calibration)
    pairs = {(items[a], items[b]): p for (a, b), p in prob.items()}
    progress = Progress("clustering", len(items), "tracks")
    clusters = constrained_clusters(items, pairs, calibration.threshold, images, flanks)
    progress.advance(len(items))
    progress.finish(f"{len(pairs)} verified pairs, {len(clusters)} groups")
    return clusters


def _probabilities(
    best: dict[tuple[int, int], int], calibration: Calibration
) -> dict[tuple[int, int], float]:
    keys = sorted(best)
    prob = calibration.probability(np.array([best[e] for e in keys], dtype=float))
    return dict(zip(keys, prob.tolist(), strict=True))


def majority(values: list[str], default: str) -> str:
    known = [v for v in values if v != "unknown"]
    return max(sorted(set(known)), key=known.count) if known else default


def forced_tracks(
    by_track: pd.core.groupby.DataFrameGroupBy, forced: dict[str, str]
) -> tuple[dict[str, str], list[dict]]:
    """The individual of each track a person named a crop of, and the conflicts.

    A track's crops the person did not name follow the name given most often
    in it. Two names in one track mean the machine's track joined two animals
    (or two people disagree): every named crop keeps its own name (the caller
    applies ``forced`` per crop), and the track is reported, never settled
    silently by a vote.

    Returns:
        ``(track → name, [{"track", "names", "crops"}, ...])``.
    """
    names: dict[str, str] = {}
    conflicts: list[dict] = []
    for track, group in by_track:
        given = [forced[c] for c in group["crop_id"] if c in forced]
        if not given:
            continue
        names[track] = majority(given, "")
        if len(set(given)) > 1:
            conflicts.append(
                {
                    "track": str(track),
                    "names": sorted(set(given)),
                    "crops": sorted(c for c in group["crop_id"] if c in forced),
                }
            )
    for conflict in conflicts[:10]:
        log.warning(
            "one track, several names given by people (each crop keeps its own; "
            "the rest follow the most frequent): track %s: %s",
            conflict["track"],
            ", ".join(conflict["names"]),
        )
    return names, conflicts


def candidate_table(
    scores: pd.DataFrame, forbidden: set[tuple[str, str]], kept: int
) -> pd.DataFrame:
    """Per crop, references by falling probability; rejected pairs never shown."""
    allowed = [
        (c, i) not in forbidden
        for c, i in zip(scores["crop_id"], scores["individual_id"], strict=True)
    ]
    table = scores[allowed].sort_values(
        ["crop_id", "probability", "inliers", "ref_id"],
        ascending=[True, False, False, True],
    )
    table = table.groupby("crop_id", sort=False).head(kept).copy()
    table["rank"] = table.groupby("crop_id", sort=False).cumcount()
    return table[CANDIDATE_COLUMNS].reset_index(drop=True)
