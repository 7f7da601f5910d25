"""Global matching: nearest catalogue references of each crop, with faiss.

Embeddings are L2-normalised, so inner product is cosine similarity. An exact
flat index is right for ordinary catalogues; a season of 100,000 crops against
10,000 references is 10^12 multiply-adds, about 26 s on two cores, so above a
configurable size an inverted-file index (IVF) searches only the clusters nearest
each query, which keeps recall@k near 1 for embeddings of individuals (tight groups
of images per animal) at a fraction of the work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import faiss
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class IndexSettings:
    """Config ``identify.index``.

    Args:
        exact_max_refs: catalogues up to this many vectors use exact search.
        nlist: IVF clusters; None picks 4·√n.
        nprobe: clusters searched per query.
        threads: faiss threads.
    """

    exact_max_refs: int = 5000
    nlist: int | None = None
    nprobe: int = 16
    threads: int = 1


class ReferenceIndex:
    """Catalogue vectors in a faiss index, searched for the top k per query."""

    def __init__(self, vectors: np.ndarray, settings: IndexSettings = IndexSettings()):
        faiss.omp_set_num_threads(max(1, settings.threads))
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        if n <= settings.exact_max_refs:
            self.index = faiss.IndexFlatIP(dim)
            self.kind = "exact"
        else:
            nlist = settings.nlist or max(1, int(4 * math.sqrt(n)))
            quantizer = faiss.IndexFlatIP(dim)
            self.index = faiss.IndexIVFFlat(
                quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT
            )
            self.index.train(vectors)
            self.index.nprobe = min(settings.nprobe, nlist)
            self.kind = f"ivf{nlist},nprobe{self.index.nprobe}"
        self.index.add(vectors)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, reference rows) per query; rows are -1 past the end."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        return self.index.search(queries, min(k, self.index.ntotal))


def top_candidates(
    query_ids: list[str],
    queries: np.ndarray,
    ref_ids: list[str],
    references: np.ndarray,
    k: int,
    settings: IndexSettings = IndexSettings(),
) -> pd.DataFrame:
    """The ``k`` most similar references of every query.

    Returns:
        ``crop_id, rank, ref_id, global_score`` (rank 0 is the best).
    """
    if len(query_ids) == 0 or len(ref_ids) == 0:
        return pd.DataFrame(columns=["crop_id", "rank", "ref_id", "global_score"])
    scores, rows = ReferenceIndex(references, settings).search(queries, k)
    kk = rows.shape[1]
    frame = pd.DataFrame(
        {
            "crop_id": np.repeat(np.asarray(query_ids, dtype=object), kk),
            "rank": np.tile(np.arange(kk, dtype=np.int32), len(query_ids)),
            "row": rows.ravel(),
            "global_score": scores.ravel(),
        }
    )
    frame = frame[frame["row"] >= 0]
    frame["ref_id"] = np.asarray(ref_ids, dtype=object)[frame["row"].to_numpy()]
    return frame[["crop_id", "rank", "ref_id", "global_score"]].reset_index(drop=True)
