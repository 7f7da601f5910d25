"""Global matching: nearest catalogue references of each crop.

Embeddings are L2-normalised, so inner product is cosine similarity. An exact
faiss flat index is right for ordinary catalogues. A season of 100,000 crops
against 10,000 references is 10^12 multiply-adds, 11–26 s on two cores, and an
approximate index does not rescue it: crops of animals the catalogue lacks have no
tight cluster to probe, so IVF and HNSW had to scan most of the catalogue to reach
recall@10 of 0.99 and were slower than the exact search (measured in
``bench/identify.py``). Above a configurable size the search is therefore exact
but in reduced precision: a bf16 matrix product (fp32 accumulation), 3–4× the
speed of fp32 on CPUs with bf16 instructions and on GPUs, with recall@10 ≥ 0.99
against the fp32 ranking. ``method="ivf"`` remains for catalogues too large to
hold twice in memory.
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
        exact_max_refs: catalogues up to this many vectors use exact fp32 search.
        method: above that size, ``bf16`` (exact search in reduced precision) or
            ``ivf`` (faiss inverted file).
        nlist: IVF clusters; None picks 4·√n.
        nprobe: clusters searched per query.
        threads: threads for faiss and torch.
    """

    exact_max_refs: int = 5000
    method: str = "bf16"
    nlist: int | None = None
    nprobe: int = 16
    threads: int = 1


class ReferenceIndex:
    """Catalogue vectors in a faiss index, searched for the top k per query."""

    def __init__(self, vectors: np.ndarray, settings: IndexSettings = IndexSettings()):
        faiss.omp_set_num_threads(max(1, settings.threads))
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        self.bf16 = None
        if n <= settings.exact_max_refs:
            self.index = faiss.IndexFlatIP(dim)
            self.kind = "exact"
        elif settings.method == "bf16":
            import torch

            torch.set_num_threads(max(1, settings.threads))
            self.bf16 = torch.from_numpy(vectors).to(torch.bfloat16).T.contiguous()
            self.kind = "bf16"
            return
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
        if self.bf16 is not None:
            return self._search_bf16(queries, min(k, self.bf16.shape[1]))
        return self.index.search(queries, min(k, self.index.ntotal))

    def _search_bf16(
        self, queries: np.ndarray, k: int, chunk: int = 4096
    ) -> tuple[np.ndarray, np.ndarray]:
        import torch

        scores, rows = [], []
        for start in range(0, len(queries), chunk):
            block = torch.from_numpy(queries[start : start + chunk])
            top = (block.to(torch.bfloat16) @ self.bf16).float().topk(k, dim=1)
            scores.append(top.values.numpy())
            rows.append(top.indices.numpy())
        return np.concatenate(scores), np.concatenate(rows).astype(np.int64)


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
