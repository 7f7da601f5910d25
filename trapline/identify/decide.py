"""Decisions: catalogue matches per track, new animals, the candidate table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trapline.identify.calibration import Calibration
from trapline.identify.clusters import constrained_clusters
from trapline.identify.localfeatures import Features, FeatureSettings, verify_many

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
    crop_feats: dict[str, Features],
    calibration: Calibration,
    representatives: int,
    local: FeatureSettings,
) -> list[list[str]]:
    """Unmatched tracks grouped into animals (lists of track ids).

    Each track is represented by its crops with most keypoints; a pair of tracks
    scores the best verification among their representatives.
    """
    members = tracks[tracks["track_id"].isin(open_tracks)].copy()
    members["n"] = [len(crop_feats[c]) for c in members["crop_id"]]
    reps = (
        members.sort_values(["n", "crop_id"], ascending=[False, True])
        .groupby("track_id", sort=True)
        .head(representatives)
    )
    rep_ids = reps["crop_id"].tolist()
    rep_track = reps["track_id"].tolist()
    best: dict[tuple[str, str], int] = {}
    for i, crop_id in enumerate(rep_ids[:-1]):
        others = [crop_feats[c] for c in rep_ids[i + 1 :]]
        counts = verify_many(crop_feats[crop_id], others, local)
        for t, n in zip(rep_track[i + 1 :], counts, strict=True):
            a, b = sorted((rep_track[i], t))
            if a != b:
                best[(a, b)] = max(best.get((a, b), 0), int(n))
    keys = list(best)
    prob = calibration.probability(np.array([best[k] for k in keys]))
    pairs = dict(zip(keys, prob.tolist(), strict=True))
    images = members.groupby("track_id")["image_id"].apply(set).to_dict()
    flanks = members.groupby("track_id")["motion_flank"].first().to_dict()
    return constrained_clusters(
        sorted(open_tracks), pairs, calibration.threshold, images, flanks
    )


def majority(values: list[str], default: str) -> str:
    known = [v for v in values if v != "unknown"]
    return max(sorted(set(known)), key=known.count) if known else default


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
