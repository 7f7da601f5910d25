"""Scores to P(same individual), calibrated on the catalogue's own pairs.

Raw inlier counts mean different things for different catalogues, image sizes
and settings, so no threshold is hand-set. Every pair of references of one flank
is a labelled example: same individual = positive, different individual =
negative. A logistic model maps scores to probabilities, and the open-set
threshold is the lowest probability at which the catalogue pairs reach the
target precision, so "known" claims are as reliable as the settings ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def score_features(inliers: np.ndarray, global_score: np.ndarray | None) -> np.ndarray:
    """Model inputs: log inliers (diminishing returns of many matches), global."""
    columns = [np.log1p(np.asarray(inliers, float))]
    if global_score is not None:
        columns.append(np.asarray(global_score, float))
    return np.column_stack(columns)


@dataclass(frozen=True)
class Calibration:
    """A fitted score → probability map and its open-set threshold."""

    model: LogisticRegression
    uses_global: bool
    threshold: float
    report: dict

    def probability(
        self, inliers: np.ndarray, global_score: np.ndarray | None = None
    ) -> np.ndarray:
        if len(np.atleast_1d(inliers)) == 0:
            return np.zeros(0)
        x = score_features(inliers, global_score if self.uses_global else None)
        return self.model.predict_proba(x)[:, 1]


def catalogue_pairs(catalogue: pd.DataFrame, max_pairs: int = 0) -> pd.DataFrame:
    """Unordered same-flank reference pairs with their label (``same``) and
    ``weight``: how many catalogue pairs each one stands for.

    Every positive pair is kept. Negatives are all kept up to ``max_pairs``
    pairs in all (0: no cap); above it a seeded uniform sample of them is kept,
    each weighing (negatives in the catalogue) / (negatives kept), so precision
    and the fit still describe the whole catalogue. Verifying every pair is
    quadratic in the catalogue (a 1,000-reference catalogue is ~250,000 pairs,
    minutes of RANSAC for a threshold that 20,000 pairs estimate as well); the
    sample is the same on every rerun, so cached counts are found again.
    """
    rows = []
    for flank, group in catalogue[catalogue["flank"] != "unknown"].groupby("flank"):
        refs = group[["ref_id", "individual_id"]].to_numpy()
        for (ref_a, ind_a), (ref_b, ind_b) in combinations(refs, 2):
            rows.append((ref_a, ref_b, flank, ind_a == ind_b))
    pairs = pd.DataFrame(rows, columns=["ref_a", "ref_b", "flank", "same"])
    pairs["weight"] = 1.0
    negative = ~pairs["same"].to_numpy(bool)
    n_negative = int(negative.sum())
    keep = max_pairs - int((~negative).sum())
    if max_pairs <= 0 or n_negative <= keep:
        return pairs
    keep = max(keep, min(n_negative, 1000))  # never too few negatives to fit on
    rng = np.random.default_rng(0)
    chosen = rng.choice(np.flatnonzero(negative), size=keep, replace=False)
    mask = ~negative
    mask[chosen] = True
    pairs.loc[chosen, "weight"] = n_negative / keep
    return pairs[mask].reset_index(drop=True)


def fit_calibration(
    pairs: pd.DataFrame, target_precision: float, uses_global: bool
) -> Calibration:
    """Fit on ``pairs`` (``same, inliers`` and ``global_score`` when used).

    The threshold is the lowest probability at which the pairs at or above it
    reach ``target_precision``: every threshold between two observed scores
    selects the same pairs, so it sits just above the highest score left out.
    Catalogue photographs are sharper than season frames (fewer inliers for a
    true match there), so of all equally precise thresholds the lowest is used.

    Raises:
        ValueError: when the catalogue has no positive or no negative pair
            (one reference per individual and flank, or a single individual).
    """
    labels = pairs["same"].to_numpy(bool)
    if labels.all() or not labels.any():
        raise ValueError(
            "calibration needs references of at least two individuals and two "
            "references of one flank of some individual in the catalogue"
        )
    glob = pairs["global_score"].to_numpy(float) if uses_global else None
    weight = (
        pairs["weight"].to_numpy(float) if "weight" in pairs else np.ones(len(pairs))
    )
    x = score_features(pairs["inliers"].to_numpy(), glob)
    model = LogisticRegression(class_weight="balanced").fit(
        x, labels, sample_weight=weight
    )
    prob = model.predict_proba(x)[:, 1]
    threshold, precision, recall = 1.0, float("nan"), 0.0
    cuts = np.unique(prob)
    for k, cut in enumerate(cuts):
        chosen = prob >= cut
        # Weighted: a sampled negative stands for the negatives not verified.
        p = weight[chosen & labels].sum() / weight[chosen].sum()
        if p >= target_precision:
            # Any threshold above the next lower score selects the same pairs;
            # the lowest one keeps the most recall for the season's harder images.
            below = cuts[k - 1] if k else 0.0
            threshold, precision = float(np.nextafter(below, 1.0)), float(p)
            recall = float(labels[chosen].sum() / labels.sum())
            break
    report = {
        "n_positive_pairs": int(labels.sum()),
        "n_negative_pairs": int((~labels).sum()),
        "n_negative_pairs_in_catalogue": int(round(weight[~labels].sum())),
        "features": ["log1p_inliers"] + (["global_score"] if uses_global else []),
        "target_precision": target_precision,
        "threshold": threshold,
        "precision_at_threshold": precision,
        "recall_at_threshold": recall,
        "positive_inliers_median": float(np.median(pairs["inliers"][labels])),
        "negative_inliers_max": float(pairs["inliers"][~labels].max()),
    }
    return Calibration(model, uses_global, threshold, report)
