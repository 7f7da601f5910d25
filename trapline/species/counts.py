"""Animals per species in each image and each sequence.

The count of a sequence is the most animals of a species in any one of its
images, not the sum: the same three walruses in ten frames are three walruses.
"""

from __future__ import annotations

import pandas as pd


def species_counts(animals: pd.DataFrame, sequences: pd.Series) -> pd.DataFrame:
    """Counts per image and per sequence.

    Args:
        animals: animal boxes above threshold with ``image_id`` and ``species``.
        sequences: ``sequence_id`` indexed by ``image_id``.

    Returns:
        ``level`` (``image``/``sequence``), ``id``, ``species``, ``count``.
    """
    per_image = (
        animals.groupby(["image_id", "species"]).size().rename("count").reset_index()
    )
    per_image["sequence_id"] = per_image["image_id"].map(sequences)
    per_sequence = (
        per_image.groupby(["sequence_id", "species"])["count"].max().reset_index()
    )
    frames = [
        per_image.rename(columns={"image_id": "id"}).assign(level="image"),
        per_sequence.rename(columns={"sequence_id": "id"}).assign(level="sequence"),
    ]
    out = pd.concat([f[["level", "id", "species", "count"]] for f in frames])
    out = out.sort_values(["level", "id", "species"], ignore_index=True)
    return out.astype({"count": "int32"})
