"""Verified (crop, reference) pairs: the shortlist, the pair cache, the loop.

The crops are read from the feature cache a batch at a time
(:class:`~trapline.identify.store.CropStore`); each crop gets its shortlist of
references (the embedding search's top-k when there is one, the descriptor
votes of :mod:`trapline.identify.shortlist` otherwise, or every reference of a
small catalogue), and only the pairs the pair cache does not hold yet are
verified.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.identify.cache import load_parquet, save_parquet
from trapline.identify.calibration import catalogue_pairs
from trapline.identify.localfeatures import Features, FeatureSettings, verify_many
from trapline.identify.progress import Progress
from trapline.identify.shortlist import (
    DescriptorIndex,
    ShortlistSettings,
    top_owners,
    train_size,
    training_sample,
)
from trapline.identify.store import CropStore

log = logging.getLogger(__name__)

PAIR_COLUMNS = ["crop_key", "ref_key", "inliers"]


class PairCache:
    """Inlier counts verified before, by the keys of the two features.

    A count is reused only for the same two features: the keys name the crop (or
    reference), the feature settings and the background that masked the crop. A
    cache of another layout (before the keys) or an unreadable one is empty. The
    file is rewritten with the pairs of this run only.
    """

    def __init__(self, path: Path | None, workers: int = 1) -> None:
        self.path = path
        self.workers = max(1, workers)
        cached = load_parquet(path, PAIR_COLUMNS)
        self.known: dict[str, dict[str, int]] = {}
        if cached is not None:
            cached = cached.drop_duplicates(["crop_key", "ref_key"])
            for query, other, n in zip(
                cached["crop_key"], cached["ref_key"], cached["inliers"], strict=True
            ):
                self.known.setdefault(query, {})[other] = int(n)
        self.rows: list[tuple[str, str, str, str, int]] = []
        self.verified = self.reused = 0

    def counts(
        self,
        query_id: str,
        query: Features,
        other_ids: list[str],
        others: list[Features],
        settings: FeatureSettings,
    ) -> np.ndarray:
        """Inliers of ``query`` against each of ``others``: cached or verified now."""
        [counts] = self.counts_many([(query_id, query, other_ids, others)], settings)
        return counts

    def counts_many(
        self,
        jobs: list[tuple[str, Features, list[str], list[Features]]],
        settings: FeatureSettings,
    ) -> list[np.ndarray]:
        """:meth:`counts` of each ``(query_id, query, other_ids, others)``.

        The verifications run on ``workers`` threads: OpenCV's RANSAC and
        NumPy's matrix products release the GIL, so two threads keep both cores
        of a job busy. Results and rows come back in the jobs' order, the same
        as one thread gives.
        """
        looked = []
        for _, query, _, others in jobs:
            mine = self.known.get(query.key, {})
            looked.append(np.array([mine.get(o.key, -1) for o in others], np.int64))
        tasks = [
            (query, [others[k] for k in np.flatnonzero(counts < 0)])
            for (_, query, _, others), counts in zip(jobs, looked, strict=True)
        ]

        def run(task: tuple[Features, list[Features]]) -> np.ndarray:
            query, todo = task
            return verify_many(query, todo, settings) if todo else np.zeros(0)

        if self.workers > 1 and sum(len(t) for _, t in tasks) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                fresh = list(pool.map(run, tasks))
        else:
            fresh = [run(t) for t in tasks]
        for (query_id, query, other_ids, others), counts, new in zip(
            jobs, looked, fresh, strict=True
        ):
            todo = np.flatnonzero(counts < 0)
            counts[todo] = new
            self.verified += len(todo)
            self.reused += len(others) - len(todo)
            self.rows += [
                (query_id, other_id, query.key, other.key, int(n))
                for other_id, other, n in zip(other_ids, others, counts, strict=True)
            ]
        return looked

    def save(self) -> None:
        if self.path is None:
            return
        columns = ["crop_id", "ref_id", *PAIR_COLUMNS]
        save_parquet(self.path, pd.DataFrame(self.rows, columns=columns))


def crop_pairs(
    crop_ids: list[str],
    store: CropStore,
    catalogue: pd.DataFrame,
    refs: dict[str, Features],
    candidates: pd.DataFrame | None,
    allowed: dict[str, np.ndarray],
    shortlist: ShortlistSettings,
    local: FeatureSettings,
    cache: PairCache,
) -> pd.DataFrame:
    """``crop_id, ref_id, global_score, inliers`` of every verified pair.

    Args:
        crop_ids: the crops, in the order of the output.
        candidates: the embedding search's ``crop_id, ref_id, global_score``;
            None shortlists by descriptor votes (or takes every reference).
        allowed: crop → which catalogue rows it may claim (its track's flank,
            no individual a person rejected for the track); the vote shortlist
            spends its places on those only.
    """
    ref_ids = catalogue["ref_id"].tolist()
    ref_row = {r: k for k, r in enumerate(ref_ids)}
    every = candidates is None and shortlist.verifies_all(len(ref_ids))
    index = (
        None
        if every or candidates is not None
        else catalogue_index(ref_ids, refs, shortlist)
    )
    groups = pd.factorize(catalogue["individual_id"])[0]
    given: dict[str, tuple[list[int], list[float], list[int]]] = {}
    if candidates is not None:
        candidates = candidates.reset_index(drop=True)
        for crop_id, group in candidates.groupby("crop_id", sort=False):
            given[crop_id] = (
                [ref_row[r] for r in group["ref_id"]],
                group["global_score"].astype(float).tolist(),
                group.index.tolist(),
            )
    rows: list[tuple[str, str, float, int]] = []
    position: list[int] = []  # of each pair among the candidates given
    progress = Progress("verification", len(crop_ids), "crops")
    sizes = []
    for feats in store.batches(crop_ids):
        jobs, shown = [], []
        for crop_id, crop in feats.items():
            if candidates is not None:
                chosen, scores, where = given.get(crop_id, ([], [], []))
                position += where
            elif index is None:
                chosen, scores = list(range(len(ref_ids))), [np.nan] * len(ref_ids)
            else:
                votes = index.votes(crop.descriptors, len(ref_ids))
                chosen = top_owners(
                    votes, allowed[crop_id], shortlist.references, groups,
                    shortlist.individuals,
                ).tolist()  # fmt: skip
                scores = [np.nan] * len(chosen)
            sizes.append(len(chosen))
            names = [ref_ids[k] for k in chosen]
            jobs.append((crop_id, crop, names, [refs[r] for r in names]))
            shown.append(scores)
        for (crop_id, _, names, _), scores, counts in zip(
            jobs, shown, cache.counts_many(jobs, local), strict=True
        ):
            rows += [
                (crop_id, r, g, int(n))
                for r, g, n in zip(names, scores, counts, strict=True)
            ]
        progress.advance(len(jobs))
    how = (
        "embedding top-k"
        if candidates is not None
        else "every reference"
        if index is None
        else f"descriptor votes ({index.kind})"
    )
    progress.finish(
        f"{np.mean(sizes) if sizes else 0:.1f} of {len(ref_ids)} references per "
        f"crop ({how})"
    )
    pairs = pd.DataFrame(rows, columns=["crop_id", "ref_id", "global_score", "inliers"])
    if candidates is not None:  # in the order the search gave them
        pairs = pairs.iloc[np.argsort(position, kind="stable")]
    return pairs.reset_index(drop=True)


def catalogue_index(
    ref_ids: list[str], refs: dict[str, Features], shortlist: ShortlistSettings
) -> DescriptorIndex:
    """One index over every reference's descriptors (owner = catalogue row)."""
    descriptors = [refs[r].descriptors for r in ref_ids]
    n_total = sum(len(d) for d in descriptors)
    training = (
        training_sample(descriptors, train_size(n_total))
        if n_total > shortlist.exact_max_descriptors
        else None
    )
    index = DescriptorIndex(n_total, shortlist, training)
    for row, d in enumerate(descriptors):
        index.add(row, d)
    index.finish()
    log.info(
        "shortlist index: %d descriptors of %d references (%s)",
        n_total,
        len(ref_ids),
        index.kind,
    )
    return index


def catalogue_pair_counts(
    catalogue: pd.DataFrame,
    refs: dict[str, Features],
    settings: FeatureSettings,
    cache: PairCache | None = None,
    max_pairs: int = 0,
) -> pd.DataFrame:
    """Labelled same-flank reference pairs with their inlier counts.

    The pairs of :func:`~trapline.identify.calibration.catalogue_pairs` (every
    same-flank pair, or all positives and a weighted sample of negatives above
    ``max_pairs``), each verified both ways (the larger count, as ``verify``).
    Each reference is verified against all its partners in one batch, and the
    counts are cached by the references' keys: a rerun verifies only pairs of
    new references.
    """
    pairs = catalogue_pairs(catalogue, max_pairs)
    cache = cache or PairCache(None)
    partners: dict[str, list[str]] = {}
    for a, b in zip(pairs["ref_a"], pairs["ref_b"], strict=True):
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    counts: dict[tuple[str, str], int] = {}
    progress = Progress("calibration pairs", len(pairs), "reference pairs")
    queries = sorted(partners)
    for start in range(0, len(queries), 16):
        jobs = [
            (q, refs[q], partners[q], [refs[o] for o in partners[q]])
            for q in queries[start : start + 16]
        ]
        for (ref_id, _, others, _), found in zip(
            jobs, cache.counts_many(jobs, settings), strict=True
        ):
            counts |= {(ref_id, o): int(n) for o, n in zip(others, found, strict=True)}
            progress.advance(len(others) // 2)
    progress.finish()
    pairs["inliers"] = [
        max(counts[(a, b)], counts[(b, a)])
        for a, b in zip(pairs["ref_a"], pairs["ref_b"], strict=True)
    ]
    return pairs


def allowed_references(
    tracks: pd.DataFrame,
    catalogue: pd.DataFrame,
    forbidden: set[tuple[str, str]],
) -> dict[str, np.ndarray]:
    """Per crop, the references its track may claim (see ``decide_tracks``).

    A known walking direction rules out the other flank's references, and a
    person's rejection of an individual for any crop of a track rules it out for
    the whole track; the shortlist's places are not spent on them.
    """
    flank = catalogue["flank"].to_numpy()
    individual = catalogue["individual_id"].to_numpy()
    banned: dict[str, set[str]] = {}
    track_of = dict(zip(tracks["crop_id"], tracks["track_id"], strict=True))
    for crop_id, ind in forbidden:
        if crop_id in track_of:
            banned.setdefault(track_of[crop_id], set()).add(ind)
    out, shared = {}, {}  # crops with the same flank and bans share one array
    for crop_id, track, motion in zip(
        tracks["crop_id"], tracks["track_id"], tracks["motion_flank"], strict=True
    ):
        rule = (motion, frozenset(banned.get(track, ())))
        if rule not in shared:
            ok = (flank == "unknown") | (flank == motion) | (motion == "unknown")
            shared[rule] = ok & ~np.isin(individual, list(rule[1]))
        out[crop_id] = shared[rule]
    return out
