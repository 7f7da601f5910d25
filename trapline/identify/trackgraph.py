"""Which unmatched tracks to compare: a sparse graph of likely same-animal pairs.

Verifying every pair of unmatched tracks is quadratic in the season. Instead
each track is compared with its ``tracks`` nearest other tracks only: nearest by
descriptor votes over one index of all representatives' descriptors
(:mod:`trapline.identify.shortlist`), or by embedding similarity when crops have
embeddings. Pairs that may never link (tracks sharing an image, different known
flanks) are left out before the nearest are chosen, so no place on a track's
list is spent on them. The graph's edges are then verified like catalogue pairs
(the best inlier count over the two tracks' representatives) and cached by the
features' keys, so a rerun verifies only the edges of new or changed crops.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from trapline.identify.localfeatures import FeatureSettings
from trapline.identify.progress import Progress
from trapline.identify.scoring import PairCache
from trapline.identify.shortlist import (
    DescriptorIndex,
    ShortlistSettings,
    top_owners,
    train_size,
    training_sample,
)
from trapline.identify.store import CropStore

log = logging.getLogger(__name__)

Edge = tuple[int, int]


class Links:
    """Which tracks each track may link with: not one sharing an image, not one
    walking on the other known flank, not itself. Rows are made on demand, so
    10^4 tracks do not need a 10^8 matrix."""

    def __init__(self, images: list[set[str]], flanks: list[str]) -> None:
        self.images = images
        self.code = np.array([{"left": 1, "right": 2}.get(f, 0) for f in flanks])
        self.by_image: dict[str, list[int]] = {}
        for t, seen in enumerate(images):
            for image in seen:
                self.by_image.setdefault(image, []).append(t)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, t: int) -> np.ndarray:
        code = self.code
        ok = (code == 0) | (code[t] == 0) | (code == code[t])
        for image in self.images[t]:
            ok[self.by_image[image]] = False
        ok[t] = False
        return ok


def nearest_by_votes(
    reps: list[list[str]],
    store: CropStore,
    allowed: Links,
    settings: ShortlistSettings,
) -> set[Edge]:
    """Each track's ``settings.tracks`` best-voted allowed tracks (LNBNN votes
    of its sharpest representative's descriptors against all other tracks'
    representatives')."""
    n = len(reps)
    started = time.monotonic()
    n_total = sum(store.sizes[c] for rep in reps for c in rep)
    order = [c for rep in reps for c in rep]
    training = None
    if n_total > settings.exact_max_descriptors:
        share = train_size(n_total) / n_total
        sample = []
        for k, feats in enumerate(store.batches(order)):
            found = [f.descriptors for f in feats.values()]
            size = round(share * sum(len(d) for d in found))
            sample.append(training_sample(found, size, seed=k))
        training = np.concatenate(sample)
    index = DescriptorIndex(n_total, settings, training)
    for t, feats in _per_track(reps, store):
        index.add(t, np.concatenate([f.descriptors for f in feats]))
    index.finish()
    log.info(
        "new-animal vote index: %d descriptors of %d tracks (%s) built in %.0f s",
        n_total,
        n,
        index.kind,
        time.monotonic() - started,
    )
    edges: set[Edge] = set()
    progress = Progress("new-animal shortlist", n, "tracks")
    for t, feats in _per_track(reps, store):
        # Every representative is indexed; the sharpest one asks (the others'
        # descriptors mostly repeat its own, and each asking descriptor is a
        # search of the whole index: the phase's cost).
        votes = index.votes(feats[0].descriptors, n, t)
        for u in top_owners(votes, allowed[t], settings.tracks):
            edges.add((min(t, int(u)), max(t, int(u))))
        progress.advance()
    progress.finish(f"{len(edges)} pairs to verify (index: {index.kind})")
    return edges


def nearest_by_embedding(vectors: np.ndarray, allowed: Links, k: int) -> set[Edge]:
    """Each track's ``k`` most similar allowed tracks by embedding (cosine)."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    edges: set[Edge] = set()
    for start in range(0, len(unit), 1024):
        sims = unit[start : start + 1024] @ unit.T
        for i, row in enumerate(sims, start):
            ok = np.flatnonzero(allowed[i])
            best = ok[np.lexsort((ok, -row[ok]))][:k]
            edges |= {(min(i, int(u)), max(i, int(u))) for u in best}
    return edges


def every_pair(allowed: Links) -> set[Edge]:
    """Every allowed pair: the dense graph, for small seasons or ``tracks: 0``."""
    return {
        (t, int(u)) for t in range(len(allowed)) for u in np.flatnonzero(allowed[t])
        if u > t
    }  # fmt: skip


def closure(
    probability: dict[Edge, float], threshold: float, allowed: Links, cap: int
) -> set[Edge]:
    """Unverified pairs of tracks that share a strong neighbour (P ≥ threshold).

    Average linkage counts an unverified pair as 0, so an animal whose tracks
    were each verified against a few nearest others only may stay split into
    several groups. Two tracks that both match a third are likely one animal:
    verifying them too fills the animal's pairs in. Each track keeps its
    ``cap`` best candidates (by the weaker of the two links), so a round costs
    at most about ``2·cap`` pairs per track, whatever the season's size.
    """
    strong: dict[int, dict[int, float]] = {}
    for (a, b), p in probability.items():
        if p >= threshold:
            strong.setdefault(a, {})[b] = p
            strong.setdefault(b, {})[a] = p
    found: dict[Edge, float] = {}
    for mates in strong.values():
        for a, pa in mates.items():
            for c, pc in mates.items():
                if a < c and (a, c) not in probability:
                    found[(a, c)] = max(found.get((a, c), 0.0), min(pa, pc))
    ranked: dict[int, list[tuple[float, int]]] = {}
    for (a, c), p in found.items():
        ranked.setdefault(a, []).append((-p, c))
        ranked.setdefault(c, []).append((-p, a))
    chosen: set[Edge] = set()
    for t, options in ranked.items():
        ok = allowed[t]
        best = [u for _, u in sorted(options) if ok[u]][:cap]
        chosen |= {(min(t, u), max(t, u)) for u in best}
    return chosen


def verify_edges(
    edges: set[Edge],
    reps: list[list[str]],
    store: CropStore,
    local: FeatureSettings,
    cache: PairCache,
    batch: int = 64,
) -> dict[Edge, int]:
    """The best inlier count of each edge over its tracks' representatives.

    Verification is not symmetric; of two representatives the one with more
    keypoints (then the smaller crop id) is the query, as when every pair was
    verified, so a cached count is found again whatever else changed.
    """
    by_first: dict[int, list[int]] = {}
    for a, b in sorted(edges):
        by_first.setdefault(a, []).append(b)
    firsts = sorted(by_first)
    best: dict[Edge, int] = {}
    progress = Progress("new-animal verification", len(edges), "track pairs")
    before = cache.verified, cache.reused
    for start in range(0, len(firsts), batch):
        chunk = firsts[start : start + batch]
        wanted = {c for a in chunk for t in [a, *by_first[a]] for c in reps[t]}
        feats = store.load(sorted(wanted))
        edges_of: list[list[tuple[str, Edge]]] = []
        work = []
        for a in chunk:
            jobs: dict[str, list[tuple[str, Edge]]] = {}
            for b in by_first[a]:
                for x in reps[a]:
                    for y in reps[b]:
                        query, other = sorted((x, y), key=lambda c: (-len(feats[c]), c))
                        jobs.setdefault(query, []).append((other, (a, b)))
            for query, todo in jobs.items():
                work.append(
                    (
                        query,
                        feats[query],
                        [c for c, _ in todo],
                        [feats[c] for c, _ in todo],
                    )
                )
                edges_of.append(todo)
        for todo, counts in zip(edges_of, cache.counts_many(work, local), strict=True):
            for (_, edge), n in zip(todo, counts, strict=True):
                best[edge] = max(best.get(edge, 0), int(n))
        progress.advance(sum(len(by_first[a]) for a in chunk))
    progress.finish(
        f"{cache.verified - before[0]} representative pairs verified now, "
        f"{cache.reused - before[1]} from cache"
    )
    return best


def _per_track(reps: list[list[str]], store: CropStore, batch: int = 256):
    """(track, its representatives' features) in track order, read in batches."""
    for start in range(0, len(reps), batch):
        chunk = reps[start : start + batch]
        feats = store.load([c for rep in chunk for c in rep])
        for t, rep in enumerate(chunk, start):
            yield t, [feats[c] for c in rep]


def representatives(
    members: pd.DataFrame, sizes: dict[str, int], per_track: int
) -> dict[str, list[str]]:
    """Each track's crops with most keypoints (sharp, large, unoccluded)."""
    members = members.assign(n=[sizes[c] for c in members["crop_id"]])
    reps = (
        members.sort_values(["n", "crop_id"], ascending=[False, True])
        .groupby("track_id", sort=True)
        .head(per_track)
    )
    return reps.groupby("track_id", sort=True)["crop_id"].apply(list).to_dict()
