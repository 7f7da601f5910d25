"""The embed rules: one embedding store brought up to date (crops, catalogue or
species reference images), through ``python -m trapline.embed``."""

from __future__ import annotations

from pathlib import Path

from trapline.embed.backbone import EmbedSettings
from trapline.embed.images import ImageRef
from trapline.embed.store import embed_crops
from trapline.identify.catalogue import read_catalogue
from trapline.species.reference import read_reference
from trapline.tables import CROP_BOXES


def embed_stage(
    settings: EmbedSettings,
    out: Path,
    crops: Path | None = None,
    results: Path | None = None,
    catalogue: str | Path | None = None,
    species_reference: str | Path | None = None,
) -> int:
    """Update one store: for crops, the catalogue or the species reference images.

    Args:
        settings: the backbone and how to run it.
        out: the store.
        crops: a crops table; its ``crop_path`` is relative to ``results``
            (default: the table's folder).
        catalogue: a catalogue folder or CSV; each reference image is embedded
            within its box.
        species_reference: a ``<species>/*.jpg`` folder (few-shot species labels).

    Returns:
        How many images were embedded now.
    """
    given = [x is not None for x in (crops, catalogue, species_reference)]
    if sum(given) != 1:
        raise ValueError("embed one of crops, a catalogue or a species reference")
    if crops is not None:
        table = CROP_BOXES.read(crops)
        root = Path(results) if results is not None else Path(crops).parent
        ids = table["crop_id"].tolist()
        images: list[ImageRef] = [root / p for p in table["crop_path"]]
        return embed_crops(ids, images, settings, out, _crop_sources(table))
    if catalogue is not None:
        table = read_catalogue(catalogue)
    else:
        table = read_reference(species_reference)
    ids = table["ref_id"].tolist()
    boxes = table[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]].itertuples(index=False)
    paths = table["path"]
    images = [(Path(p), tuple(b)) for p, b in zip(paths, boxes, strict=True)]
    return embed_crops(ids, images, settings, out)


def _crop_sources(table) -> list[str] | None:
    """A crop's source: its source image (size, mtime), box and crop settings.

    A card that replaces an image under the same name re-cuts its crops with the
    same ids; the source tells the store that their vectors are stale.
    """
    columns = ["source_size", "source_mtime_ns", "crop_settings"]
    columns += ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    if any(c not in table.columns for c in columns):
        return None
    return table[columns].astype(str).agg("|".join, axis=1).tolist()
