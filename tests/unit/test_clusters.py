"""The heap clustering of new animals gives exactly the dense scan's groups.

``constrained_clusters`` used to rescan every pair of groups at every merge
(cubic in the tracks); it now keeps candidate merges in a heap over the pairs
given. Average linkage with cannot-links is easy to get subtly wrong (ties, sums
added in another order, a refused pair coming back), so the old scan is kept
here as the reference and both run on random and on structured inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from trapline.identify import constrained_clusters
from trapline.identify.trackgraph import Links, closure


def dense_reference(items, probability, threshold, images, flanks):
    """The former implementation: rescan every pair of groups at every merge."""
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


def random_case(rng: np.random.Generator):
    n = int(rng.integers(2, 45))
    items = [f"t{k:03d}" for k in rng.permutation(n)]
    density = rng.choice([0.05, 0.2, 0.6, 1.0])
    discrete = rng.random() < 0.5  # few distinct values: many exact ties
    probability = {}
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < density:
                p = (
                    float(rng.choice([0.25, 0.5, 0.75, 1.0]))
                    if discrete
                    else float(rng.random())
                )
                pair = (
                    (items[i], items[j]) if rng.random() < 0.5 else (items[j], items[i])
                )
                probability[pair] = p
    pool = max(2, int(n * rng.choice([0.3, 1.0, 3.0])))
    images = {
        t: {f"img{int(v)}" for v in rng.integers(0, pool, rng.integers(1, 3))}
        for t in items
    }
    flanks = {t: str(rng.choice(["left", "right", "unknown"])) for t in items}
    threshold = float(rng.choice([0.05, 0.2, 0.4, 0.5, 0.75]))
    return sorted(items), probability, threshold, images, flanks


@pytest.mark.parametrize("seed", range(300))
def test_heap_clustering_equals_the_dense_scan_on_random_inputs(seed):
    case = random_case(np.random.default_rng(seed))
    assert constrained_clusters(*case) == dense_reference(*case)


def animals_case(seed: int, n_animals: int = 8, tracks_each: int = 6, k: int = 4):
    """Tracks of a few animals, each track linked to a few others (a kNN graph):
    strong pairs within an animal, weak or spurious ones across, both flanks,
    bursts with two animals in one image."""
    rng = np.random.default_rng(seed)
    items, animal = [], {}
    for a in range(n_animals):
        for t in range(tracks_each):
            name = f"a{a}t{t}"
            items.append(name)
            animal[name] = a
    flanks = {t: ("left", "right")[animal[t] % 2] for t in items}
    for t in rng.choice(items, len(items) // 5, replace=False):
        flanks[str(t)] = "unknown"
    images = {t: {f"img-{t}"} for t in items}
    for a, b in rng.choice(items, (len(items) // 6, 2)):  # two animals, one frame
        images[str(a)].add(f"shared-{a}-{b}")
        images[str(b)].add(f"shared-{a}-{b}")
    probability = {}
    for t in items:
        others = [u for u in items if u != t]
        for u in rng.choice(others, k, replace=False):
            same = animal[t] == animal[str(u)]
            p = rng.uniform(0.6, 1.0) if same else rng.uniform(0.0, 0.3)
            if not same and rng.random() < 0.05:
                p = 0.95  # a spurious strong pair
            probability[tuple(sorted((t, str(u))))] = float(round(p, 2))
    return sorted(items), probability, 0.2, images, flanks


@pytest.mark.parametrize("seed", range(40))
def test_heap_clustering_equals_the_dense_scan_on_animal_graphs(seed):
    case = animals_case(seed)
    assert constrained_clusters(*case) == dense_reference(*case)


def test_equal_means_merge_in_the_dense_scans_order():
    """Every pair at 0.5: which merges first decides the groups, and a cannot-link
    decides which of the equal candidates survive."""
    items = [f"t{k}" for k in range(7)]
    probability = {(a, b): 0.5 for i, a in enumerate(items) for b in items[i + 1 :]}
    images = {t: {t} for t in items} | {"t2": {"t2", "x"}, "t5": {"t5", "x"}}
    flanks = dict.fromkeys(items, "unknown") | {"t3": "left", "t6": "right"}
    case = (items, probability, 0.5, images, flanks)
    assert constrained_clusters(*case) == dense_reference(*case)


def test_a_chain_merges_only_while_the_average_holds():
    items = [f"c{k:02d}" for k in range(20)]
    probability = {(items[k], items[k + 1]): 0.9 for k in range(19)}
    images = {t: {t} for t in items}
    flanks = dict.fromkeys(items, "unknown")
    for threshold in (0.1, 0.3, 0.45, 0.6, 0.95):
        case = (items, probability, threshold, images, flanks)
        assert constrained_clusters(*case) == dense_reference(*case)


def test_absent_pairs_never_merge_and_the_threshold_must_be_positive():
    items = ["a", "b", "c"]
    images = {t: {t} for t in items}
    flanks = dict.fromkeys(items, "unknown")
    assert constrained_clusters(items, {}, 1e-300, images, flanks) == [
        ["a"],
        ["b"],
        ["c"],
    ]
    with pytest.raises(ValueError, match="above 0"):
        constrained_clusters(items, {}, 0.0, images, flanks)


def test_a_sparse_graph_of_many_tracks_is_clustered_quickly():
    """4,000 tracks of 500 animals, each track paired with its animal's other
    tracks and 5 random ones: the dense scan would need about 10^10 steps."""
    rng = np.random.default_rng(0)
    n = 4_000
    items = [f"t{k:05d}" for k in range(n)]
    probability = {}
    for k in range(n):
        mates = [u for u in range(k - k % 8, k - k % 8 + 8) if u != k]
        for u in [*mates, *rng.integers(0, n, 5)]:
            if u != k:
                p = 0.9 if u // 8 == k // 8 else 0.05
                probability[(items[min(k, u)], items[max(k, u)])] = p
    images = {t: {t} for t in items}
    flanks = dict.fromkeys(items, "unknown")
    groups = constrained_clusters(items, probability, 0.2, images, flanks)
    assert groups == [items[k : k + 8] for k in range(0, n, 8)]


def test_tracks_that_match_a_third_are_verified_too_within_the_cap():
    """Closure: a and c both match b, so (a, c) is worth verifying; d walks on
    the other flank of a, so (a, d) is never proposed; each track keeps its
    ``cap`` best candidates."""
    images = [{f"i{k}"} for k in range(6)]
    flanks = ["left", "unknown", "left", "right", "left", "left"]
    links = Links(images, flanks)
    probability = {(0, 1): 0.9, (1, 2): 0.8, (1, 3): 0.9, (1, 4): 0.3, (0, 5): 0.05}
    assert closure(probability, 0.5, links, cap=5) == {(0, 2)}
    probability |= {(1, 5): 0.6, (0, 2): 0.7}
    assert closure(probability, 0.5, links, cap=5) == {(2, 5)}  # (0, 5) is known
    wide = {(0, k): 0.9 for k in range(1, 6)}
    links = Links(images, ["unknown"] * 6)
    assert len(closure(wide, 0.5, links, cap=1)) <= 5
    assert len(closure(wide, 0.5, links, cap=4)) == 10  # every pair among 1..5
