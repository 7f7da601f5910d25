"""Embedding stores: one Parquet file per shard, tagged with the model that wrote it.

Parquet rather than ``.npy`` + an id list: ids and vectors cannot drift apart,
the model id travels in the file's metadata, and R (arrow) reads it as it is.
Columns: ``id`` (string: ``crop_id`` for crops, ``ref_id`` for the catalogue) and
``vector`` (``fixed_size_list<float32>[dim]``, unit length); metadata key
``trapline:model_id``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trapline.embed.backbone import Embedder, EmbedSettings
from trapline.embed.images import ImageRef
from trapline.io import write_atomic

log = logging.getLogger(__name__)

MODEL_ID_KEY = b"trapline:model_id"


def store_embeddings(
    path: Path,
    ids: list[str],
    vectors: np.ndarray,
    model_id: str,
    sources: list[str] | None = None,
) -> None:
    """Write a store atomically (temp file + rename): a killed job leaves no stub.

    Args:
        sources: what each vector was computed from (e.g. the crop's source file
            and box); a later run re-embeds an id whose source changed.
    """
    vectors = np.ascontiguousarray(vectors, np.float32)
    flat = pa.array(vectors.reshape(-1), pa.float32())
    columns = {
        "id": pa.array(ids, pa.string()),
        "vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1]),
    }
    if sources is not None:
        columns["source"] = pa.array(sources, pa.string())
    table = pa.table(columns).replace_schema_metadata({MODEL_ID_KEY: model_id.encode()})
    write_atomic(Path(path), lambda tmp: pq.write_table(table, tmp))


def load_embeddings(
    path: Path | list[Path],
) -> tuple[list[str], np.ndarray, str]:
    """Read a store, or the shards' stores together: ids, (n, dim) float32, model.

    Raises:
        ValueError: the stores come from different models.
    """
    if isinstance(path, list):
        parts = [load_embeddings(p) for p in path]
        models = {model for _, _, model in parts}
        if len(models) > 1:
            raise ValueError(
                f"embedding stores from different models {sorted(models)}: rerun "
                "the embed jobs with one embed.model"
            )
        ids = [i for part_ids, _, _ in parts for i in part_ids]
        vectors = (
            np.concatenate([v for _, v, _ in parts]) if parts else np.empty((0, 0))
        )
        return ids, vectors.astype(np.float32), models.pop() if models else ""
    table = pq.read_table(path)
    column = table.column("vector").combine_chunks()
    dim = column.type.list_size
    vectors = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
    model_id = table.schema.metadata[MODEL_ID_KEY].decode()
    return table.column("id").to_pylist(), vectors.astype(np.float32), model_id


def embed_crops(
    ids: list[str],
    images: list[ImageRef],
    embedder: Embedder | EmbedSettings,
    store: Path,
    sources: list[str] | None = None,
) -> int:
    """Bring ``store`` up to date with ``ids``: embed what it lacks, drop the rest.

    Vectors already in the store from the same model id are kept, so a new card
    costs only its new crops; a store from another model is embedded afresh.

    Returns:
        How many images were embedded now.
    """
    if len(set(ids)) != len(ids):
        raise ValueError(f"{store}: ids are not unique")
    if not isinstance(embedder, Embedder):
        embedder = Embedder(embedder)
    known: dict[str, np.ndarray] = {}
    if Path(store).is_file():
        old_ids, old_vectors, old_model = load_embeddings(store)
        if old_model == embedder.model_id:
            known = dict(zip(old_ids, old_vectors, strict=True))
            if sources is not None:
                before = _sources(store)
                now = dict(zip(ids, sources, strict=True))
                known = {i: v for i, v in known.items() if before.get(i) == now.get(i)}
        else:
            log.info("%s: written by %s, re-embedding all", store, old_model)
    todo = [i for i, name in enumerate(ids) if name not in known]
    if todo:
        new = embedder([images[i] for i in todo])
        known.update((ids[i], new[row]) for row, i in enumerate(todo))
    if ids:
        vectors = np.stack([known[name] for name in ids])
    else:
        vectors = np.empty((0, embedder.dim), np.float32)
    store_embeddings(store, ids, vectors, embedder.model_id, sources)
    log.info("%s: %d embedded, %d kept", store, len(todo), len(ids) - len(todo))
    return len(todo)


def _sources(store: Path) -> dict[str, str]:
    """Each id's recorded source, where the store has them."""
    table = pq.read_table(store)
    if "source" not in table.column_names:
        return {}
    ids, sources = table.column("id").to_pylist(), table.column("source").to_pylist()
    return dict(zip(ids, sources, strict=True))
