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

from trapline.io import write_atomic

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
    matched = match_boxes(
        crops, images, truth[truth["individual_id"].notna()], ["individual_id", "flank"]
    )
    names = {"individual_id": "true_id", "flank": "true_flank"}
    return matched.rename(columns=names)[["crop_id", "true_id", "true_flank"]]


def match_boxes(
    boxes: pd.DataFrame,
    images: pd.DataFrame,
    truth: pd.DataFrame,
    take: list[str],
) -> pd.DataFrame:
    """Each box's best-overlapping true box (IoU > 0.5) and its ``take`` columns.

    Args:
        boxes: ``image_id``, ``bbox_x..bbox_h`` and the rest of their columns.
        truth: ``path`` and ``bbox_x..bbox_h`` of the true boxes.

    Returns:
        The matched boxes with the true box's ``take`` columns added.
    """
    box = ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    paths = boxes.join(images.set_index("image_id")["path"], on="image_id")
    by_path = dict(tuple(truth.groupby("path")))
    rows, found = [], []
    for path, group in paths.groupby("path"):
        true = by_path.get(path)
        if true is None:
            continue
        iou = _iou(group[box].to_numpy(float), true[box].to_numpy(float))
        best, value = iou.argmax(axis=1), iou.max(axis=1)
        for index, k, v in zip(group.index, best, value, strict=True):
            if v > IOU_MIN:
                rows.append(index)
                found.append(true[take].iloc[k].to_list())
    matched = boxes.loc[rows].reset_index(drop=True)
    matched[take] = pd.DataFrame(found, columns=take)
    return matched


def species_metrics(
    detections: pd.DataFrame,
    images: pd.DataFrame,
    truth: pd.DataFrame,
    identified: pd.DataFrame,
    target: list[str],
) -> dict:
    """Species labels against the simulated truth, and the target filter's leaks.

    Args:
        detections: ``detections.parquet``.
        truth: the simulator's true boxes (``category``, ``species``).
        identified: the crops in ``identities.parquet`` with their boxes.
        target: config ``target_species``.

    Returns:
        Accuracy over matched animal boxes (``unknown`` counts as wrong), the share
        left ``unknown``, precision/recall per species, and how many identified
        crops truly belong to a non-target species (0 is the goal).
    """
    animals = detections[detections["category"] == "animal"]
    true_animals = truth[truth["category"] == "animal"]
    matched = match_boxes(animals, images, true_animals, ["species"])
    matched = matched.rename(columns={"species": "true_species"})
    matched["species"] = (
        animals.set_index(["image_id", "det_index"])
        .loc[
            list(zip(matched["image_id"], matched["det_index"], strict=True)), "species"
        ]
        .to_numpy()
    )
    correct = matched["species"] == matched["true_species"]
    per_species = {}
    for name in sorted(set(matched["true_species"]) | set(matched["species"])):
        said, true = matched["species"] == name, matched["true_species"] == name
        per_species[name] = {
            "precision": float(correct[said].mean()) if said.any() else None,
            "recall": float(correct[true].mean()) if true.any() else None,
            "boxes": int(true.sum()),
        }
    leaks = match_boxes(identified, images, true_animals, ["species"])
    return {
        "animal_boxes": int(len(animals)),
        "matched_to_truth": int(len(matched)),
        "accuracy": float(correct.mean()) if len(matched) else None,
        "unknown_share": float((matched["species"] == "unknown").mean())
        if len(matched)
        else None,
        "per_species": per_species,
        "identified_crops": int(len(identified)),
        "identified_non_target": int((~leaks["species"].isin(target)).sum()),
    }


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
    detections_in: Path,
    truth_detections: Path,
    truth_individuals: Path,
    settings: dict,
    target: list[str],
    out: Path,
) -> None:
    """The metrics rule: score species and identities against a simulated truth."""
    crops = pd.read_parquet(crops_in)
    images = pd.read_parquet(images_in)
    truth_boxes = pd.read_parquet(truth_detections)
    truth = match_truth(crops, images, truth_boxes)
    individuals = pd.read_parquet(truth_individuals)
    known = set(individuals.loc[individuals["in_catalogue"], "individual_id"])
    identities = pd.read_parquet(identities_in)
    metrics = identification_metrics(
        identities, pd.read_parquet(candidates_in), truth, known
    )
    metrics["species"] = species_metrics(
        pd.read_parquet(detections_in),
        images,
        truth_boxes,
        crops[crops["crop_id"].isin(identities["crop_id"])],
        target,
    )
    metrics["simulator"] = settings
    text = json.dumps(metrics, indent=2, default=str)
    write_atomic(out, lambda tmp: Path(tmp).write_text(text))
