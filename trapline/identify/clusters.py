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

import heapq
import re
from collections import Counter

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

    Only the pairs given are ever looked at (absent pairs count as 0 in the
    means), so on a sparse graph of verified pairs the cost grows with its
    edges, not the O(n³) of rescanning every pair of groups at every merge: the
    candidate merges wait in a heap, ordered by mean (then by the two groups'
    first items, as a full scan in that order would pick among equal means); a
    merge pushes one new mean per neighbour of the merged group (O(log E)
    each), and entries of groups that have since changed are skipped when they
    come up. A group is named by its first item
    and its sums are added in merge order, exactly as the dense scan did, so the
    groups are the same to the last bit. Cannot-links only grow as groups grow,
    so a refused pair stays refused until one of its groups changes.

    Args:
        probability: (a, b) → P(same) for item pairs; absent pairs count as 0.
        threshold: the lowest mean that merges; must be above 0 (absent pairs
            never merge).
        images: the images each item was seen in (cannot-link when shared).
        flanks: each item's flank, ``unknown`` constrains nothing.
    """
    if threshold <= 0:
        raise ValueError(f"threshold must be above 0, not {threshold}")
    index = {item: k for k, item in enumerate(items)}
    total: dict[int, dict[int, float]] = {k: {} for k in range(len(items))}
    for (a, b), p in probability.items():
        i, j = index[a], index[b]
        if i != j and p > 0:
            total[i][j] = total[j][i] = p
    members = {k: [item] for k, item in enumerate(items)}
    seen = {k: set(images[item]) for k, item in enumerate(items)}
    flank = {k: {flanks[item]} - {"unknown"} for k, item in enumerate(items)}
    version = dict.fromkeys(members, 0)
    heap = [
        (-p, a, b, 0, 0) for a, row in total.items() for b, p in row.items() if a < b
    ]
    heapq.heapify(heap)
    while heap:
        negative, a, b, va, vb = heapq.heappop(heap)
        if version.get(a) != va or version.get(b) != vb:
            continue  # a group changed since: its current mean is in the heap
        if -negative < threshold:
            break
        if seen[a] & seen[b] or len(flank[a] | flank[b]) > 1:
            continue
        _merge(a, b, total, members, seen, flank)
        del version[b]
        version[a] += 1
        size = len(members[a])
        for c, t in total[a].items():
            lo, hi = min(a, c), max(a, c)
            mean = t / (size * len(members[c]))
            heapq.heappush(heap, (-mean, lo, hi, version[lo], version[hi]))
    return sorted((sorted(group) for group in members.values()), key=lambda g: g[0])


def _merge(
    a: int,
    b: int,
    total: dict[int, dict[int, float]],
    members: dict[int, list[str]],
    seen: dict[int, set[str]],
    flank: dict[int, set[str]],
) -> None:
    """Group ``b`` joins group ``a``: sums of probabilities, items, images, flanks.

    Each sum adds ``b``'s to ``a``'s, in the order the dense matrix did
    (``total[a] += total[b]``), so equal inputs give equal floats.
    """
    row_a, row_b = total[a], total.pop(b)
    row_a.pop(b, None)
    for c, t in row_b.items():
        if c == a:
            continue
        merged = row_a.get(c, 0.0) + t
        row_a[c] = merged
        row_c = total[c]
        row_c.pop(b)
        row_c[a] = merged
    members[a] += members.pop(b)
    seen[a] |= seen.pop(b)
    flank[a] |= flank.pop(b)


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
