"""Identification quality against ground truth (simulated seasons, annotated sets).

Closed-set ranking (top-1/top-5) says whether the right animal is proposed;
BAKS/BAUS (balanced accuracy on known / unknown individuals, averaged per
individual so frequent animals do not hide rare ones) say whether the open-set
decisions are right; ARI and pairwise precision/recall say whether provisional
new individuals group the right crops. Left and right flanks of one new animal
cannot be linked from looks alone, so clustering is scored within each true flank.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from trapline.tables import write_atomic

IOU_MIN = 0.5


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes (x, y, w, h) in rows of ``a`` against rows of ``b``."""
    ax0, ay0 = a[:, None, 0], a[:, None, 1]
    ax1, ay1 = ax0 + a[:, None, 2], ay0 + a[:, None, 3]
    bx0, by0 = b[None, :, 0], b[None, :, 1]
    bx1, by1 = bx0 + b[None, :, 2], by0 + b[None, :, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    union = a[:, None, 2] * a[:, None, 3] + b[None, :, 2] * b[None, :, 3] - inter
    return inter / np.maximum(union, 1e-12)


def match_truth(
    crops: pd.DataFrame, images: pd.DataFrame, truth: pd.DataFrame
) -> pd.DataFrame:
    """``crop_id, true_id, true_flank`` for crops overlapping a true box (IoU > 0.5).

    Args:
        truth: ``path`` (relative to the images root, as in the images table),
            ``individual_id, flank, bbox_x..bbox_h``.
    """
    box = ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    paths = crops.join(images.set_index("image_id")["path"], on="image_id")
    rows = []
    for path, group in paths.groupby("path"):
        true = truth[(truth["path"] == path) & truth["individual_id"].notna()]
        if true.empty:
            continue
        iou = _iou(group[box].to_numpy(float), true[box].to_numpy(float))
        best = iou.argmax(axis=1)
        for crop_id, k, value in zip(group["crop_id"], best, iou.max(1), strict=True):
            if value > IOU_MIN:
                rows.append(
                    (crop_id, true["individual_id"].iloc[k], true["flank"].iloc[k])
                )
    return pd.DataFrame(rows, columns=["crop_id", "true_id", "true_flank"])


def _pair_counts(true: np.ndarray, pred: np.ndarray) -> tuple[int, int, int]:
    """(pairs together in both, together in prediction, together in truth)."""
    both = same_pred = same_true = 0
    for i, j in combinations(range(len(true)), 2):
        t, p = true[i] == true[j], pred[i] == pred[j]
        both += t and p
        same_pred += p
        same_true += t
    return both, same_pred, same_true


def _balanced(frame: pd.DataFrame, correct: pd.Series) -> float:
    if frame.empty:
        return float("nan")
    return float(correct.groupby(frame["true_id"]).mean().mean())


def identification_metrics(
    identities: pd.DataFrame,
    candidates: pd.DataFrame,
    truth_of_crops: pd.DataFrame,
    catalogue_ids: set[str],
) -> dict:
    """Scores of one identification run (written as ``metrics.json``).

    Args:
        identities: ``crop_id, individual_id, is_new``.
        candidates: ``crop_id, rank, individual_id`` (rank 0 = most probable).
        truth_of_crops: from ``match_truth``.
        catalogue_ids: the individuals in the catalogue (the known ones).
    """
    data = truth_of_crops.merge(identities, on="crop_id")
    known = data[data["true_id"].isin(catalogue_ids)]
    unknown = data[~data["true_id"].isin(catalogue_ids)]
    ranked = candidates.sort_values(["crop_id", "rank"])
    ranked = ranked.drop_duplicates(["crop_id", "individual_id"])
    ranking = ranked.groupby("crop_id")["individual_id"].apply(list).to_dict()

    def top(k: int) -> float:
        if known.empty:
            return float("nan")
        hits = [
            t in ranking.get(c, [])[:k]
            for c, t in zip(known["crop_id"], known["true_id"], strict=True)
        ]
        return float(np.mean(hits))

    clustering = {}
    both = same_pred = same_true = 0
    for flank, group in unknown.groupby("true_flank"):
        true, pred = group["true_id"].to_numpy(), group["individual_id"].to_numpy()
        counts = _pair_counts(true, pred)
        both, same_pred, same_true = (
            x + y for x, y in zip((both, same_pred, same_true), counts, strict=True)
        )
        clustering[flank] = {
            "n_crops": len(group),
            "n_true": int(group["true_id"].nunique()),
            "n_predicted": int(group["individual_id"].nunique()),
            "ari": float(adjusted_rand_score(true, pred)),
        }
    weights = [c["n_crops"] for c in clustering.values()]
    return {
        "n_crops_with_truth": len(data),
        "n_known_crops": len(known),
        "n_unknown_crops": len(unknown),
        "top1": top(1),
        "top5": top(5),
        "decision_accuracy_known": float(
            (known["individual_id"] == known["true_id"]).mean()
        )
        if len(known)
        else float("nan"),
        "baks": _balanced(known, known["individual_id"] == known["true_id"]),
        "baus": _balanced(unknown, unknown["is_new"].astype(bool)),
        "ari": float(
            np.average([c["ari"] for c in clustering.values()], weights=weights)
        )
        if weights
        else float("nan"),
        "pairwise_precision": both / same_pred if same_pred else float("nan"),
        "pairwise_recall": both / same_true if same_true else float("nan"),
        "clustering_by_flank": clustering,
    }


def metrics_stage(
    identities_in: Path,
    candidates_in: Path,
    crops_in: Path,
    images_in: Path,
    truth_detections: Path,
    truth_individuals: Path,
    settings: dict,
    out: Path,
) -> None:
    """The metrics rule: score identities against a simulated season's truth."""
    crops = pd.read_parquet(crops_in)
    truth = match_truth(
        crops, pd.read_parquet(images_in), pd.read_parquet(truth_detections)
    )
    individuals = pd.read_parquet(truth_individuals)
    known = set(individuals.loc[individuals["in_catalogue"], "individual_id"])
    metrics = identification_metrics(
        pd.read_parquet(identities_in), pd.read_parquet(candidates_in), truth, known
    )
    metrics["simulator"] = settings
    text = json.dumps(metrics, indent=2, default=str)
    write_atomic(out, lambda tmp: Path(tmp).write_text(text))
