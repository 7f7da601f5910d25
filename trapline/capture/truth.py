"""The sanity estimates against a simulated season's truth.

Two sources of error are kept apart: the estimator's own bias (Chao's M_h and
Schnabel computed on the *true* capture history: the simulator's individual of
every box, the same images, occasions and independence rule) and the
identification's (the same estimators on trapline's history). Their difference
is what misidentification costs the abundance estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trapline.capture.estimate import history_estimates
from trapline.capture.history import capture_history
from trapline.capture.occasions import OccasionGrid
from trapline.capture.records import image_columns
from trapline.capture.screen import screen_events
from trapline.capture.settings import CaptureSettings


@dataclass(frozen=True)
class TruthInputs:
    """The simulator's truth tables."""

    individuals: Path
    detections: Path


def true_records(
    truth_detections: pd.DataFrame, images: pd.DataFrame, deployments: pd.DataFrame
) -> pd.DataFrame:
    """Individual records as perfect identification would give them: every true
    box of an individual in an image that reached ``images.parquet``."""
    boxes = truth_detections[truth_detections["individual_id"].notna()]
    boxes = boxes[["path", "individual_id", "species", "flank"]].rename(
        columns={"individual_id": "Individual", "species": "Species", "flank": "Flank"}
    )
    records = boxes.merge(image_columns(images, deployments), on="path", how="inner")
    records["Flank"] = records["Flank"].fillna("unknown")
    return records.reset_index(drop=True)


def truth_report(
    truth: TruthInputs,
    images: pd.DataFrame,
    deployments: pd.DataFrame,
    grid: OccasionGrid,
    settings: CaptureSettings,
    found: list[dict[str, Any]],
) -> dict[str, Any]:
    """True numbers, the estimates from the true history, and relative biases.

    Args:
        found: the estimates from trapline's own history.
    """
    individuals = pd.read_parquet(truth.individuals)
    n_true = len(individuals)
    records = true_records(pd.read_parquet(truth.detections), images, deployments)
    kept, _ = screen_events(records, deployments, grid, "Individual", settings)
    perfect = history_estimates(capture_history(kept, grid))
    report: dict[str, Any] = {
        "individuals": n_true,
        "photographed": int((individuals["n_detections"] > 0).sum()),
        "perfect_identification": perfect,
        "bias": [],
    }
    for label, estimates in (("trapline", found), ("perfect_identification", perfect)):
        for est in estimates:
            row = {
                "history": label,
                "Session": est["Session"],
                "Species": est["Species"],
            }
            row["individuals_captured"] = est["individuals_captured"]
            for name in ("chao_mh", "schnabel"):
                value = est[name]["N"]
                row[name] = (
                    None if value is None else round((value - n_true) / n_true, 3)
                )
            report["bias"].append(row)
    return report
