"""faiss candidates: exact below the size limit, IVF above, same answers."""

import numpy as np

from trapline.matching import IndexSettings, ReferenceIndex, top_candidates


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
    approx = ReferenceIndex(refs, IndexSettings(exact_max_refs=100, nprobe=8))
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
