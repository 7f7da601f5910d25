"""Sequence smoothing: the crops of one burst share the majority label.

A burst is usually one animal (or one group) seen several times; a classifier
that calls one frame of a lynx burst a fox is nearly always wrong about that
frame, not right about a second species. MegaDetector's sequence-level smoothing
is the model: relabel the minority to the majority unless the classifier is
confident about it. Unknown labels are left alone: the majority never turns an
animal nobody recognised into the target species.
"""

from __future__ import annotations

import pandas as pd

from trapline.species.labels import UNKNOWN


def smooth_sequences(
    boxes: pd.DataFrame, min_votes: int = 2, keep_conf: float = 0.9
) -> pd.DataFrame:
    """Relabel doubtful minority labels to their sequence's majority.

    Args:
        boxes: animal boxes with ``sequence_id``, ``species``, ``species_conf``,
            ``species_source``.
        min_votes: least boxes that must carry the majority label.
        keep_conf: a minority label at or above this probability is kept.

    Returns:
        A copy; relabelled boxes get ``species_source`` ``sequence`` and the mean
        probability of the majority's boxes.
    """
    out = boxes.copy()
    known = out[out["species"].notna() & (out["species"] != UNKNOWN)]
    for _, group in known.groupby("sequence_id", sort=False):
        tally = group.groupby("species")["species_conf"].agg(["size", "sum"])
        tally = tally.sort_values(["size", "sum"], ascending=False)
        majority, votes = tally.index[0], int(tally["size"].iloc[0])
        if votes < min_votes or (len(tally) > 1 and tally["size"].iloc[1] == votes):
            continue
        doubtful = (group["species"] != majority) & (group["species_conf"] < keep_conf)
        if not doubtful.any():
            continue
        index = group.index[doubtful.to_numpy()]
        mean = float(group.loc[group["species"] == majority, "species_conf"].mean())
        out.loc[index, "species"] = majority
        out.loc[index, "species_conf"] = mean
        out.loc[index, "species_source"] = "sequence"
    return out
