"""Which pairs to verify: a weight-free shortlist by local-descriptor votes.

Geometric verification (ratio test + RANSAC) of every crop against every
catalogue reference, and of every pair of unmatched tracks, grows with the square
of the season: 6,894 crops against 144 references did not finish in 77 minutes.
Most of those pairs are hopeless, and which ones are worth verifying can be told
far more cheaply from the descriptors alone, as HotSpotter does (Crall et al.
2013, LNBNN): every descriptor of the query looks up its nearest descriptors in
one index over all candidates' descriptors, and each neighbour's owner gets a
vote weighted by how much nearer it is than the (k+1)-th neighbour, a local
estimate of how close an unrelated descriptor would be. A spot pattern shared
with one animal collects many strong votes; repetitive texture shared with all
of them collects weak ones. Only each query's best-voted candidates are then
verified, so the cost grows with the season, not with its square.

The index is exact (flat) while small and a faiss inverted file (IVF, 8-bit
scalar quantised, a quarter of float32's memory) above ``exact_max_descriptors``.
Each query is searched on its own, so its neighbours, votes and shortlist do not
depend on which other crops happen to be in the run: an incremental rerun
verifies the same pairs as a fresh run and reads them back from the pair cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class ShortlistSettings:
    """How many candidates are verified: config ``identify.shortlist``.

    Args:
        references: catalogue references verified per crop: its best-voted ones.
            0 verifies every reference (as does a catalogue of at most
            ``verify_all_max_refs`` references).
        individuals: every reference (up to ``references``) of this many
            best-voted individuals is verified too, so an animal photographed in
            several poses is verified in all of them.
        verify_all_max_refs: catalogues up to this size are verified in full
            (no larger than one shortlist, there is nothing to save).
        tracks: nearest other unmatched tracks verified per unmatched track
            (clustering of new individuals); 0 verifies every pair of tracks.
        closure_rounds: rounds in which tracks sharing a strong neighbour are
            verified too (up to ``tracks`` more per track and round): average
            linkage counts unverified pairs as 0, so without them an animal
            seen in many tracks can stay split.
        neighbours: nearest descriptors voting per query descriptor (k of LNBNN;
            the (k+1)-th is the normaliser).
        exact_max_descriptors: indexes up to this many descriptors are exact,
            larger ones an inverted file.
        nprobe: inverted lists searched per query descriptor, at most.
        scanned: descriptors scanned per query descriptor: the lists searched
            are ``scanned`` divided by the index's mean list length (between 1
            and ``nprobe``). With 4·√n lists each holds √n/4 descriptors, so
            a fixed number of lists would scan ever more per search as the
            season grows (the new-animal shortlist grew with slope 1.6 against
            the tracks); a fixed budget keeps a search's scan flat, and where
            descriptors are denser the neighbours it needs lie nearer.
    """

    references: int = 10
    individuals: int = 2
    verify_all_max_refs: int = 10
    tracks: int = 10
    closure_rounds: int = 3
    neighbours: int = 5
    exact_max_descriptors: int = 10_000
    nprobe: int = 16
    scanned: int = 3_000

    def verifies_all(self, n_refs: int) -> bool:
        return self.references <= 0 or n_refs <= self.verify_all_max_refs


DEFAULT_SHORTLIST = ShortlistSettings()


class DescriptorIndex:
    """RootSIFT descriptors of many owners in one faiss index, for LNBNN votes.

    Descriptors are added owner by owner, so one owner's descriptors are one
    range of ids and a query can leave its own owner out (a track's
    representatives must not vote for the track itself).

    Args:
        n_total: how many descriptors will be added (chooses exact or IVF).
        training: a sample of descriptors to train the inverted file on.
    """

    def __init__(
        self,
        n_total: int,
        settings: ShortlistSettings,
        training: np.ndarray | None = None,
    ) -> None:
        self.settings = settings
        self.owners: list[np.ndarray] = []
        self.ranges: dict[int, tuple[int, int]] = {}
        self.size = 0
        if n_total <= settings.exact_max_descriptors or training is None:
            self.index = faiss.IndexFlatL2(128)
            self.kind = "exact"
            return
        nlist = max(1, min(lists(n_total), len(training) // 39))
        quantizer = faiss.IndexFlatL2(128)
        self.index = faiss.IndexIVFScalarQuantizer(
            quantizer, 128, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2
        )
        self.index.cp.niter = 10  # coarse centroids need not be exact
        self.index.train(np.ascontiguousarray(training, dtype=np.float32))
        self.index.nprobe = probes(n_total, nlist, settings)
        self.kind = f"ivf{nlist}-sq8,nprobe{self.index.nprobe}"
        self._quantizer = quantizer  # faiss does not own it: keep it alive

    def add(self, owner: int, descriptors: np.ndarray) -> None:
        """Add the descriptors of ``owner`` (owners are numbered 0, 1, ...)."""
        n = len(descriptors)
        self.ranges[owner] = (self.size, self.size + n)
        if n:
            self.index.add(np.ascontiguousarray(descriptors, dtype=np.float32))
            self.owners.append(np.full(n, owner, np.int32))
        self.size += n

    def finish(self) -> None:
        self._owner = np.concatenate(self.owners) if self.owners else np.zeros(0, int)
        self.owners = []

    def votes(
        self, queries: np.ndarray, n_owners: int, exclude: int | None = None
    ) -> np.ndarray:
        """LNBNN score of every owner for one query's descriptors (``n_owners``,).

        A descriptor votes once per owner (its nearest descriptor of that owner),
        weighted by the distance to its (k+1)-th neighbour minus the distance to
        that one. ``exclude`` leaves that owner's own descriptors out.
        """
        k = self.settings.neighbours
        scores = np.zeros(n_owners)
        available = self.size
        if exclude is not None:
            available -= self.ranges[exclude][1] - self.ranges[exclude][0]
        if len(queries) == 0 or available < 2:
            return scores
        kk = min(k + 1, available)
        params = None
        if exclude is not None:
            start, end = self.ranges[exclude]
            own = faiss.IDSelectorRange(start, end)  # kept alive for the search
            selector = faiss.IDSelectorNot(own)
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
                if self.kind != "exact"
                else faiss.SearchParameters(sel=selector)
            )
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        d2, rows = self.index.search(queries, kk, params=params)
        dist = np.sqrt(np.maximum(d2, 0))
        valid = rows >= 0
        # The normaliser: the (k+1)-th neighbour, or the farthest one found.
        last = np.maximum(valid.sum(1) - 1, 0)
        norm = dist[np.arange(len(dist)), last][:, None]
        near = slice(0, max(1, kk - 1))
        owner = self._owner[np.where(valid, rows, 0)][:, near]
        weight = np.where(valid[:, near], norm - dist[:, near], 0.0)
        # One vote per (descriptor, owner): neighbours come nearest first, so the
        # first of an owner's is its best.
        pair = np.arange(len(owner))[:, None] * n_owners + owner
        _, first = np.unique(pair.ravel(), return_index=True)
        np.add.at(scores, owner.ravel()[first], weight.ravel()[first])
        if exclude is not None:
            scores[exclude] = 0.0
        return scores


def training_sample(
    descriptors: list[np.ndarray], size: int, seed: int = 0
) -> np.ndarray:
    """At most ``size`` descriptors drawn evenly from every owner, reproducibly."""
    total = sum(len(d) for d in descriptors)
    if total <= size:
        return np.concatenate(descriptors) if descriptors else np.zeros((0, 128))
    rng = np.random.default_rng(seed)
    share = size / total
    picked = [
        d[rng.random(len(d)) < share] for d in descriptors if len(d)
    ]  # each owner in proportion to its size
    return np.concatenate(picked)


def lists(n_total: int) -> int:
    """Inverted lists for ``n_total`` descriptors: 4·√n, faiss's usual choice."""
    return max(1, int(4 * math.sqrt(max(n_total, 1))))


def probes(n_total: int, nlist: int, settings: ShortlistSettings) -> int:
    """Lists searched per query: ``settings.scanned`` descriptors' worth."""
    mean_list = max(n_total / max(nlist, 1), 1.0)
    return max(1, min(settings.nprobe, nlist, round(settings.scanned / mean_list)))


def train_size(n_total: int) -> int:
    """Descriptors to train the inverted file on (40 per list; faiss wants 39)."""
    return min(n_total, 40 * lists(n_total))


def top_owners(
    scores: np.ndarray,
    allowed: np.ndarray,
    k: int,
    groups: np.ndarray | None = None,
    per_group: int = 0,
) -> np.ndarray:
    """Rows of the ``k`` best-voted allowed owners (votes > 0), plus the ``k``
    best allowed owners of each of the ``per_group`` best-voted groups, whatever
    their own votes (another photograph of a well-voted animal); ties by row.

    Args:
        groups: each owner's group (individual) as an integer, or None.
    """
    rows = np.flatnonzero(allowed)
    order = rows[np.lexsort((rows, -scores[rows]))]
    chosen = set(order[scores[order] > 0][:k].tolist())
    if groups is not None and per_group > 0:
        voted = order[scores[order] > 0]
        best = list(dict.fromkeys(groups[voted].tolist()))[:per_group]
        for group in best:
            chosen |= set(order[groups[order] == group][:k].tolist())
    return np.array(sorted(chosen), dtype=np.int64)
