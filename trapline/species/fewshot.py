"""Few-shot species labels: the nearest labelled reference images vote.

Works with whatever backbone the identification stage embeds crops with, so a
programme that already runs DINOv2 or MegaDescriptor gets species labels from a
folder of labelled pictures at no extra model cost.
"""

from __future__ import annotations

import faiss
import numpy as np
import pandas as pd


def knn_labels(
    crop_ids: list[str],
    crop_vectors: np.ndarray,
    ref_species: list[str],
    ref_vectors: np.ndarray,
    k: int = 5,
    min_similarity: float = 0.0,
) -> pd.DataFrame:
    """Label crops by a similarity-weighted vote of their ``k`` nearest references.

    Args:
        crop_ids: one per row of ``crop_vectors``.
        crop_vectors, ref_vectors: L2-normalised embeddings of one model.
        ref_species: the species of each reference row.
        k: voters per crop (all references when there are fewer).
        min_similarity: a crop whose nearest reference is less similar (cosine)
            gets no label: it resembles nothing in the reference set.

    Returns:
        ``crop_id``, ``classifier_species`` (null when too dissimilar),
        ``classifier_conf`` (the winning species' share of the vote weight).
    """
    columns = ["crop_id", "classifier_species", "classifier_conf"]
    if len(crop_ids) == 0 or len(ref_species) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    k = min(k, len(ref_species))
    index = faiss.IndexFlatIP(ref_vectors.shape[1])
    index.add(np.ascontiguousarray(ref_vectors, dtype=np.float32))
    sims, rows = index.search(np.ascontiguousarray(crop_vectors, np.float32), k)
    labels = np.asarray(ref_species, dtype=object)[rows]
    weights = np.clip(sims, 1e-6, None)
    species, confs = [], []
    for crop_labels, crop_weights, best in zip(
        labels, weights, sims[:, 0], strict=True
    ):
        votes = pd.Series(crop_weights).groupby(crop_labels).sum()
        winner = votes.idxmax()
        if best < min_similarity:
            species.append(None)
            confs.append(None)
        else:
            species.append(winner)
            confs.append(float(votes[winner] / votes.sum()))
    return pd.DataFrame(
        {
            "crop_id": crop_ids,
            "classifier_species": species,
            "classifier_conf": pd.array(confs, "Float64"),
        }
    )
