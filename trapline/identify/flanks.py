"""Both flanks of one animal: linked by simultaneous captures at paired cameras.

Left and right flanks carry different patterns, so looks alone leave a new animal
as two provisional individuals, one per flank. Lynx programmes pair cameras at a
station so that one passage photographs both sides at once: when each camera of a
pair shows exactly one target animal within a few seconds, the two crops are the
same animal, and their identities are merged. Two catalogue individuals are never
merged this way (a conflict is reported instead), and a new individual linked to
a catalogue individual takes the catalogue's name.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from trapline.identify.clusters import NEW_PREFIX

log = logging.getLogger(__name__)


def simultaneous_pairs(
    crops: pd.DataFrame, images: pd.DataFrame, tolerance_s: float = 2.0
) -> list[tuple[str, str]]:
    """Pairs of crops (different cameras, one station) showing one animal at once.

    Args:
        crops: target-species crops (``crop_id``, ``image_id``).
        images: ``image_id, station, camera, datetime``.
    """
    single = crops.groupby("image_id").filter(lambda g: len(g) == 1)
    joined = single.merge(images[["image_id", "station", "camera", "datetime"]])
    pairs = []
    for _, group in joined.groupby("station"):
        if group["camera"].nunique() < 2:
            continue
        group = group.sort_values("datetime")
        times = group["datetime"].to_numpy()
        rows = group.to_dict("records")
        for i, a in enumerate(rows):
            for j in range(i + 1, len(rows)):
                b = rows[j]
                gap = (times[j] - times[i]) / pd.Timedelta(seconds=1)
                if gap > tolerance_s:
                    break
                if a["camera"] != b["camera"]:
                    pairs.append((a["crop_id"], b["crop_id"]))
    return pairs


def name_rank(name: str, known: set[str]) -> tuple[int, str]:
    """Which name two joined individuals keep (the smaller key): a catalogue
    individual's, then a name a person gave in review, then a provisional
    ``NEW…`` id; alphabetically within each."""
    if name in known:
        return 0, name
    return (2 if re.fullmatch(rf"{NEW_PREFIX}\d+", name) else 1), name


def link_flanks(
    identities: pd.DataFrame,
    pairs: list[tuple[str, str]],
    distinct: frozenset[frozenset[str]] = frozenset(),
) -> tuple[pd.DataFrame, list[str]]:
    """Merge the individuals of simultaneously captured crops.

    Two identities a person declared ``distinct`` are never linked.

    Returns:
        Identities with ``individual_id`` rewritten where linked, and a list of
        conflicts (pairs that would merge two catalogue individuals).
    """
    parent: dict[str, str] = {}
    known = set(identities.loc[~identities["is_new"], "individual_id"])

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    by_crop = identities.set_index("crop_id")["individual_id"]
    conflicts = []
    for a, b in pairs:
        if a not in by_crop or b not in by_crop:
            continue
        ra, rb = find(by_crop[a]), find(by_crop[b])
        if ra == rb:
            continue
        if frozenset((by_crop[a], by_crop[b])) in distinct:
            continue
        if ra in known and rb in known:
            conflicts.append(f"{a} ({ra}) and {b} ({rb}) were captured together")
            continue
        keep, drop = sorted((ra, rb), key=lambda name: name_rank(name, known))
        parent[drop] = keep
    linked = identities.copy()
    linked["individual_id"] = linked["individual_id"].map(find)
    for conflict in conflicts:
        log.warning("flank link skipped: %s", conflict)
    return linked, conflicts
