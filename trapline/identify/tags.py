"""Individuals people tagged in the images: forced onto crops, as review is.

A person who wrote ``Individual|LYX012`` into an image has identified the animal
in it; the machine must not overrule that. The tag becomes a forced identity on
the crop (the same path review decisions take through :func:`identify`), so the
crop's track follows it, its matches are not needed and the name is never given
to another animal; its ``source`` is ``tag``. A review decision on the same crop
is the later word and wins.

Pairing tags with boxes: one tagged individual goes to the image's largest crop
of a target species; as many individuals as crops pair left to right (the tags
cannot say more); any other case pairs by size and reports the rest in
``identify/calibration.json`` (``tags``), naming file and tag. An individual tag
on an image without any animal box never gets here: ``account_images``
quarantines it (``tagged_without_animal``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from trapline.inventory.keywords import split_values

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaggedCrops:
    """Crops a person's tag identifies.

    Args:
        forced: crop id → individual.
        names: every tagged individual (as spelt after matching the catalogue).
        unpaired: one line per tag that found no crop, naming file and tag.
    """

    forced: dict[str, str] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    unpaired: tuple[str, ...] = ()


def tagged_crops(
    crops: pd.DataFrame,
    images: pd.DataFrame,
    catalogue: set[str],
    target_species: tuple[str, ...],
) -> TaggedCrops:
    """Pair the individuals tagged in images with the images' target crops.

    Args:
        crops: ``crops.parquet`` (``crop_id``, ``image_id``, ``species``, box).
        images: ``images.parquet`` with ``tag_individuals``.
        catalogue: the catalogue's individuals; a tag matching one except for
            case takes its spelling.
        target_species: the identified species.
    """
    if "tag_individuals" not in images or images["tag_individuals"].isna().all():
        return TaggedCrops()
    spelling = {name.casefold(): name for name in sorted(catalogue)}
    tagged = images[images["tag_individuals"].notna()].sort_values("path")
    target = crops[crops["species"].isin(target_species)]
    target = target.assign(area=target["bbox_w"] * target["bbox_h"])
    by_image = dict(tuple(target.groupby("image_id")))
    forced: dict[str, str] = {}
    unpaired: list[str] = []
    for image_id, path, cell in tagged[["image_id", "path", "tag_individuals"]].values:
        names = [spelling.setdefault(n.casefold(), n) for n in split_values(cell)]
        mine = by_image.get(image_id)
        if mine is None:
            unpaired += [f"{path}: Individual {n!r}: no crop of {list(target_species)}"
                         for n in names]  # fmt: skip
            continue
        if len(names) == len(mine):
            order = mine.sort_values(["bbox_x", "crop_id"])
        else:
            order = mine.sort_values(["area", "crop_id"], ascending=[False, True])
        for name, crop in zip(names, order["crop_id"], strict=False):
            forced[crop] = name
        unpaired += [
            f"{path}: Individual {n!r}: {len(names)} individuals tagged, "
            f"{len(mine)} crops"
            for n in names[len(mine) :]
        ]
    for line in unpaired[:10]:
        log.warning("tag not placed on a crop: %s", line)
    log.info("%d crops identified by a person's tag", len(forced))
    return TaggedCrops(forced, frozenset(forced.values()), tuple(unpaired))


def tag_sources(
    identities: pd.DataFrame, tagged: TaggedCrops, reviewed: dict[str, str]
) -> pd.DataFrame:
    """``source`` ``tag`` for the crops a tag (and no review decision) decided."""
    by_tag = identities["crop_id"].isin(set(tagged.forced) - set(reviewed))
    return identities.assign(
        source=identities["source"].where(~by_tag, "tag"),
        score=identities["score"].where(~by_tag, 1.0),
    )
