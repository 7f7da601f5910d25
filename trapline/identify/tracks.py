"""Tracks: the crops of one animal through the frames of one burst.

A burst shows the same animal a second apart, so its crops should vote together
rather than be identified one by one (a blurred frame is outvoted by sharp ones).
Within a sequence, frames are taken in time order and the boxes of consecutive
frames are paired by the Hungarian method on box size and height in the frame:
an animal walks sideways between frames (its x changes a lot), but its apparent
size and its feet's height stay nearly the same. Two boxes of one image are never
paired (cannot-link); a lone box in consecutive frames always is (must-link).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

MOTION_MIN = 0.01
"""Smallest mean horizontal step (frame widths) read as a walking direction."""


def _cost(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    size = np.abs(np.log(a["bbox_h"].to_numpy()[:, None] / b["bbox_h"].to_numpy()))
    feet_a = (a["bbox_y"] + a["bbox_h"]).to_numpy()[:, None]
    feet_b = (b["bbox_y"] + b["bbox_h"]).to_numpy()[None]
    return size + np.abs(feet_a - feet_b) / a["bbox_h"].to_numpy()[:, None]


def link_tracks(crops: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """Track of every crop, and each track's flank from its walking direction.

    Args:
        crops: ``crop_id, image_id, bbox_x, bbox_y, bbox_w, bbox_h``.
        images: ``image_id, sequence_id, datetime``; an image without a sequence
            is a sequence of its own.

    Returns:
        ``crop_id, image_id, track_id, motion_flank``; track ids are
        ``<sequence>/<k>``, stable for the same crops. ``motion_flank`` is
        ``right`` when the animal walks to image-right (head to the right shows
        the right flank), ``left`` for the opposite, ``unknown`` for a single
        frame or a standing animal.
    """
    meta = images.set_index("image_id")[["sequence_id", "datetime"]]
    frame = crops[["crop_id", "image_id", "bbox_x", "bbox_y", "bbox_w", "bbox_h"]]
    frame = frame.join(meta, on="image_id")
    frame["sequence_id"] = frame["sequence_id"].fillna(frame["image_id"])
    rows = []
    for sequence, group in frame.groupby("sequence_id", sort=True):
        tracks: list[list[pd.Series]] = []
        previous: pd.DataFrame | None = None
        previous_tracks: list[int] = []
        for _, shot in group.sort_values(["datetime", "image_id"]).groupby(
            "image_id", sort=False
        ):
            shot = shot.sort_values("crop_id")
            current = [-1] * len(shot)
            if previous is not None:
                rows_a, rows_b = linear_sum_assignment(_cost(previous, shot))
                for i, j in zip(rows_a, rows_b, strict=True):
                    current[j] = previous_tracks[i]
            for j, (_, crop) in enumerate(shot.iterrows()):
                if current[j] < 0:
                    current[j] = len(tracks)
                    tracks.append([])
                tracks[current[j]].append(crop)
            previous, previous_tracks = shot, current
        for k, members in enumerate(tracks):
            centres = [m["bbox_x"] + m["bbox_w"] / 2 for m in members]
            step = float(np.mean(np.diff(centres))) if len(centres) > 1 else 0.0
            flank = "unknown"
            if abs(step) >= MOTION_MIN:
                flank = "right" if step > 0 else "left"
            rows += [
                (m["crop_id"], m["image_id"], f"{sequence}/{k}", flank) for m in members
            ]
    columns = ["crop_id", "image_id", "track_id", "motion_flank"]
    return pd.DataFrame(rows, columns=columns)
