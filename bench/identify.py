"""Benchmark: catalogue matching at season scale, approximate against exact search.

100,000 query embeddings against 10,000 catalogue embeddings (1024-d), top 10,
on the machine's cores, in one run: the exact flat inner-product search (the
baseline, and the ground truth for recall) and trapline's index as the identify
stage builds it (IVF above ``exact_max_refs``), build and search timed together.

Embeddings are synthetic but shaped like re-identification embeddings: each
individual is a direction on the unit sphere and its images scatter around it
(cosine to the centre about 0.75); 70 % of the queries are catalogue individuals,
30 % animals the catalogue has never seen.

    .venv/bin/python bench/identify.py --queries 100000 --refs 10000 --dim 1024
"""

from __future__ import annotations

import argparse
import json
import time

import faiss
import numpy as np

from trapline.identify.matching import IndexSettings, ReferenceIndex


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def embeddings(
    n_queries: int, n_refs: int, dim: int, per_individual: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Catalogue and query vectors grouped by individual."""
    rng = np.random.default_rng(seed)
    known = n_refs // per_individual
    centres = unit(rng.standard_normal((known + n_queries // 10, dim)))
    spread = 1.0 / np.sqrt(dim)  # noise norm ≈ 1 → cosine to the centre ≈ 0.7

    def around(ids: np.ndarray) -> np.ndarray:
        noise = rng.standard_normal((len(ids), dim)).astype(np.float32) * spread
        return unit(centres[ids] + noise)

    refs = around(np.repeat(np.arange(known), per_individual))
    is_known = rng.random(n_queries) < 0.7
    ids = np.where(
        is_known,
        rng.integers(0, known, n_queries),
        rng.integers(known, len(centres), n_queries),
    )
    return around(ids), refs


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the exact top-k that the approximate top-k also returns."""
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--refs", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--per-individual", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    queries, refs = embeddings(
        args.queries, args.refs, args.dim, args.per_individual, 3
    )
    faiss.omp_set_num_threads(args.threads)

    start = time.perf_counter()
    exact = faiss.IndexFlatIP(args.dim)
    exact.add(refs)
    _, truth = exact.search(queries, args.k)
    exact_s = time.perf_counter() - start

    settings = IndexSettings(threads=args.threads)
    start = time.perf_counter()
    index = ReferenceIndex(refs, settings)
    _, found = index.search(queries, args.k)
    ours_s = time.perf_counter() - start

    result = {
        "queries": args.queries,
        "refs": args.refs,
        "dim": args.dim,
        "k": args.k,
        "threads": args.threads,
        "index": index.kind,
        "exact_s": round(exact_s, 2),
        "index_s": round(ours_s, 2),
        "speedup": round(exact_s / ours_s, 1),
        "recall_at_k": round(recall_at_k(found, truth), 4),
        "goals": {"index_s": "<= 10", "recall_at_k": ">= 0.99"},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
