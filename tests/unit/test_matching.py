"""faiss candidates: exact below the size limit, IVF above, same answers."""

import numpy as np

from trapline.identify.matching import IndexSettings, ReferenceIndex, top_candidates


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_exact_candidates_rank_the_nearest_reference_first():
    refs = np.eye(4, dtype=np.float32)
    queries = unit(np.array([[0.9, 0.1, 0, 0], [0, 0, 0.2, 0.8]], dtype=np.float32))
    frame = top_candidates(["q1", "q2"], queries, ["a", "b", "c", "d"], refs, k=2)
    best = frame[frame["rank"] == 0].set_index("crop_id")["ref_id"].to_dict()
    assert best == {"q1": "a", "q2": "d"}
    assert frame.groupby("crop_id").size().tolist() == [2, 2]
    assert frame["global_score"].between(-1, 1).all()


def test_ivf_above_the_limit_agrees_with_exact_on_grouped_embeddings():
    rng = np.random.default_rng(0)
    centres = unit(rng.standard_normal((50, 64)))
    refs = unit(np.repeat(centres, 8, axis=0) + 0.05 * rng.standard_normal((400, 64)))
    queries = unit(
        centres[rng.integers(0, 50, 200)] + 0.05 * rng.standard_normal((200, 64))
    )  # noqa: E501
    exact = ReferenceIndex(refs, IndexSettings(exact_max_refs=1000))
    approx = ReferenceIndex(refs, IndexSettings(100, method="ivf", nprobe=8))
    assert exact.kind == "exact" and approx.kind.startswith("ivf")
    _, truth = exact.search(queries, 5)
    _, found = approx.search(queries, 5)
    recall = np.mean(
        [len(set(f) & set(t)) / 5 for f, t in zip(found, truth, strict=True)]
    )
    assert recall > 0.95


def test_k_larger_than_the_catalogue_and_empty_inputs():
    refs = unit(np.random.default_rng(1).standard_normal((3, 8)))
    frame = top_candidates(["q"], refs[:1], ["a", "b", "c"], refs, k=10)
    assert len(frame) == 3
    assert top_candidates([], refs[:0], ["a"], refs[:1], k=3).empty


def test_bf16_search_above_the_limit_keeps_the_exact_ranking():
    rng = np.random.default_rng(2)
    refs = unit(rng.standard_normal((600, 128)))
    queries = unit(
        refs[rng.integers(0, 600, 300)] + 0.3 * rng.standard_normal((300, 128))
    )  # noqa: E501
    exact = ReferenceIndex(refs, IndexSettings(exact_max_refs=1000))
    reduced = ReferenceIndex(refs, IndexSettings(exact_max_refs=100, method="bf16"))
    assert reduced.kind == "bf16"
    truth_scores, truth = exact.search(queries, 5)
    scores, found = reduced.search(queries, 5)
    assert (found[:, 0] == truth[:, 0]).mean() > 0.99
    recall = np.mean(
        [len(set(f) & set(t)) / 5 for f, t in zip(found, truth, strict=True)]
    )
    assert recall > 0.97
    assert np.abs(scores - truth_scores).max() < 0.02
