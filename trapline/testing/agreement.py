"""Box agreement with MegaDetector's own runner (tests and bench, not the product)."""

from __future__ import annotations

import pandas as pd


def matched_boxes(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    conf_tol: float = 0.002,
    coord_tol: float = 0.0002,
) -> int:
    """How many boxes of ``theirs`` have a box in ``ours`` that says the same.

    Checks a run against MegaDetector's own runner on the same pixels; both are
    raw-detection frames (``image_id, category, conf, bbox_*``, e.g. from
    :func:`box_rows`). Boxes agree when image and category are equal and
    confidence and coordinates are within the tolerances: MegaDetector rounds to
    3 and 4 decimals, and arithmetic that differs only in the last float bits can
    flip a rounding. Each box is matched at most once.
    """
    columns = ["image_id", "category", "conf", "bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    free: dict[tuple[str, str], list[tuple]] = {}
    for box in ours[columns].itertuples(index=False, name=None):
        free.setdefault(box[:2], []).append(box)
    matched = 0
    for box in theirs[columns].itertuples(index=False, name=None):
        candidates = free.get(box[:2], [])
        for i, other in enumerate(candidates):
            close = abs(other[2] - box[2]) <= conf_tol and all(
                abs(a - b) <= coord_tol for a, b in zip(other[3:], box[3:], strict=True)
            )
            if close:
                matched += 1
                del candidates[i]
                break
    return matched
