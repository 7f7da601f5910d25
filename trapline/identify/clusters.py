"""Provisional new individuals: constrained clustering and IDs stable across runs.

Tracks that match no catalogue animal are grouped by verified similarity:
average linkage over calibrated pair probabilities down to the open-set
threshold, and a merge is refused when the two groups
share an image (two animals in one frame are two individuals) or walk on
different known flanks (left and right coats are unrelated, so a "match" across
them is an error). IDs must not change when a season grows: a cluster keeps the
provisional ID most of its crops had in the previous run.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

NEW_PREFIX = "NEW"
_NEW_ID = re.compile(rf"^{NEW_PREFIX}(\d+)$")


def constrained_clusters(
    items: list[str],
    probability: dict[tuple[str, str], float],
    threshold: float,
    images: dict[str, set[str]],
    flanks: dict[str, str],
) -> list[list[str]]:
    """Average-linkage groups of ``items`` under cannot-link constraints.

    The two groups with the highest mean pair probability merge while that mean
    reaches ``threshold``. Average rather than single linkage: one spurious
    strong pair must not chain two animals together, which on the demo season
    merged three left flanks into one "individual".

    Args:
        probability: (a, b) → P(same) for item pairs; absent pairs count as 0.
        images: the images each item was seen in (cannot-link when shared).
        flanks: each item's flank, ``unknown`` constrains nothing.
    """
    n = len(items)
    index = {item: k for k, item in enumerate(items)}
    total = np.zeros((n, n))
    for (a, b), p in probability.items():
        total[index[a], index[b]] = total[index[b], index[a]] = p
    members = {k: [item] for k, item in enumerate(items)}
    seen = {k: set(images[item]) for k, item in enumerate(items)}
    flank = {k: {flanks[item]} - {"unknown"} for k, item in enumerate(items)}
    while len(members) > 1:
        alive = sorted(members)
        best, pair = -1.0, None
        for i, a in enumerate(alive):
            for b in alive[i + 1 :]:
                if seen[a] & seen[b] or len(flank[a] | flank[b]) > 1:
                    continue
                mean = total[a, b] / (len(members[a]) * len(members[b]))
                if mean > best:
                    best, pair = mean, (a, b)
        if pair is None or best < threshold:
            break
        a, b = pair
        total[a, :] += total[b, :]
        total[:, a] += total[:, b]
        members[a] += members.pop(b)
        seen[a] |= seen.pop(b)
        flank[a] |= flank.pop(b)
    return sorted((sorted(group) for group in members.values()), key=lambda g: g[0])


def stable_ids(
    clusters: list[list[str]],
    previous: dict[str, str],
    taken: set[str],
    forbidden: set[tuple[str, str]],
) -> list[str]:
    """A provisional ID per cluster of crop ids, reusing the previous run's.

    Clusters claim previous IDs by overlap, largest overlap first, so a split
    cluster keeps its ID in the bigger part and a new image never renumbers an
    existing animal. The rest get the next free ``NEW####``, after every number
    used before (numbers are never recycled, a deleted ID stays retired).

    Args:
        previous: crop id → provisional ID from the previous run (new ones only).
        taken: IDs already in use elsewhere (catalogue, review) or used before.
        forbidden: (crop, ID) pairs a person rejected; such a cluster does not
            inherit that ID.
    """
    claims = []
    for k, cluster in enumerate(clusters):
        votes = Counter(previous[c] for c in cluster if c in previous)
        for old, overlap in votes.items():
            if not any((c, old) in forbidden for c in cluster):
                claims.append((-overlap, old, k))
    ids: list[str | None] = [None] * len(clusters)
    used: set[str] = set()
    for _, old, k in sorted(claims):
        if ids[k] is None and old not in used:
            ids[k], used = old, used | {old}
    numbers = [
        int(m.group(1))
        for name in taken | set(previous.values()) | used
        if (m := _NEW_ID.match(name))
    ]
    following = max(numbers, default=0) + 1
    out = []
    for name in ids:
        if name is None:
            name = f"{NEW_PREFIX}{following:04d}"
            following += 1
        out.append(name)
    return out
