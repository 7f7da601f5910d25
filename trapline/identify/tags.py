"""Individuals people tagged in the images: forced onto crops, as review is.

A person who wrote ``Individual|LYX012`` into an image has identified the animal
in it; the machine must not overrule that. The tag becomes a forced identity on
the crop (the same path review decisions take through :func:`identify`), so the
crop's track follows it, its matches are not needed and the name is never given
to another animal; its ``source`` is ``tag``. A review decision on the same crop
is the later word and wins.

Pairing tags with boxes: keywords belong to the image, not to a box. One
tagged individual on an image with one crop of a target species is certain and
forced before identification. With several animals in the frame (``LYX1, LYX2``
on two lynx) which box is which is not written anywhere, and keyword order or
position would be a guess carrying a person's certainty. Those images are
paired after identification by the machine's own evidence, restricted to the
names the person gave: each crop takes the tagged name it matched with the
highest calibrated probability (one name per crop, one crop per name; tagged
crops of the same animal elsewhere are references, so new animals named by
tags can be matched too), and when all names but one are placed on all crops
but one, the last pair follows. Tags still not placed are listed in
``identify/calibration.json`` (``tags_not_placed``) naming file, tag and why;
their crops keep the machine's identity. An individual tag on an image without
any animal box never gets here: ``account_images`` quarantines it
(``tagged_without_animal``).
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
        ambiguous: ``(path, names, crop ids)`` of images whose tags cannot be
            put on boxes by themselves (:func:`pair_by_scores` does it later).
    """

    forced: dict[str, str] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    unpaired: tuple[str, ...] = ()
    ambiguous: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()


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
    by_image = dict(tuple(target.groupby("image_id")))
    forced: dict[str, str] = {}
    unpaired: list[str] = []
    ambiguous = []
    for image_id, path, cell in tagged[["image_id", "path", "tag_individuals"]].values:
        names = [spelling.setdefault(n.casefold(), n) for n in split_values(cell)]
        mine = by_image.get(image_id)
        if mine is None:
            unpaired += [f"{path}: Individual {n!r}: no crop of {list(target_species)}"
                         for n in names]  # fmt: skip
            continue
        if len(names) == 1 and len(mine) == 1:
            forced[mine["crop_id"].iloc[0]] = names[0]
        else:
            crops_here = tuple(sorted(mine["crop_id"]))
            ambiguous.append((path, tuple(dict.fromkeys(names)), crops_here))
    for line in unpaired[:10]:
        log.warning("tag not placed on a crop: %s", line)
    log.info(
        "%d crops identified by a person's tag; %d images with several tagged "
        "animals or boxes are paired after identification",
        len(forced),
        len(ambiguous),
    )
    every = {n for _, names, _ in ambiguous for n in names} | set(forced.values())
    return TaggedCrops(forced, frozenset(every), tuple(unpaired), tuple(ambiguous))


def pair_by_scores(
    tagged: TaggedCrops, candidates: pd.DataFrame, reviewed: dict[str, str]
) -> TaggedCrops:
    """Put the tags of :attr:`TaggedCrops.ambiguous` images on their crops by
    the machine's match probabilities among the tagged names (one to one).

    Args:
        candidates: identification's candidate table (``crop_id,
            individual_id, probability``).
        reviewed: crops a review decision names (the later word: never paired).

    Returns:
        ``tagged`` with the pairs found added to ``forced`` and every tag left
        over listed in ``unpaired`` with why.
    """
    best = candidates.groupby(["crop_id", "individual_id"])["probability"].max()
    forced = dict(tagged.forced)
    unpaired = list(tagged.unpaired)
    for path, names, crops in tagged.ambiguous:
        crops = tuple(c for c in crops if c not in reviewed)
        pairs = sorted(
            ((float(best.get((c, n), 0.0)), c, n) for c in crops for n in names),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        placed: dict[str, str] = {}
        for p, crop, name in pairs:  # greedy on probability: the surest first
            if p > 0 and crop not in placed and name not in placed.values():
                placed[crop] = name
        crops_left = [c for c in crops if c not in placed]
        names_left = [n for n in names if n not in placed.values()]
        if len(crops_left) == 1 and len(names_left) == 1 and placed:
            placed[crops_left[0]] = names_left[0]  # the last by elimination
            names_left = []
        forced |= placed
        unpaired += [
            f"{path}: Individual {n!r}: {len(names)} individuals tagged on "
            f"{len(crops)} crops; the machine matched none of the crops left to it, "
            "so which box it is stays open (the crops keep the machine's identity)"
            for n in names_left
        ]
    for line in unpaired[len(tagged.unpaired) :][:10]:
        log.warning("tag not placed on a crop: %s", line)
    if tagged.ambiguous:
        log.info(
            "%d crops paired with tags by the machine's matches",
            len(forced) - len(tagged.forced),
        )
    return TaggedCrops(forced, tagged.names, tuple(unpaired))


def with_tags(
    identities: pd.DataFrame, tagged: TaggedCrops, reviewed: dict[str, str]
) -> pd.DataFrame:
    """Identities with every tagged crop (and no reviewed one) under its tag."""
    name = identities["crop_id"].map(
        {c: n for c, n in tagged.forced.items() if c not in reviewed}
    )
    take = name.notna()
    return identities.assign(
        individual_id=identities["individual_id"].where(~take, name),
        cluster_id=identities["cluster_id"].where(~take, name),
    )


def tag_sources(
    identities: pd.DataFrame, tagged: TaggedCrops, reviewed: dict[str, str]
) -> pd.DataFrame:
    """``source`` ``tag`` for the crops a tag (and no review decision) decided."""
    by_tag = identities["crop_id"].isin(set(tagged.forced) - set(reviewed))
    return identities.assign(
        source=identities["source"].where(~by_tag, "tag"),
        score=identities["score"].where(~by_tag, 1.0),
    )
