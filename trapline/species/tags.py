"""Species a person gave: keyword tags (always) and species folders (on request).

A person's tag wins over the machine: every animal box of an image tagged with
one species gets that species (``species_source`` ``tag``, probability 1). An
image tagged with several species cannot say which box is which, so a box keeps
its machine label when it is one of them (then marked ``tag``, confirmed) and
stays as the machine said otherwise. With ``species.backend: folders`` the
``{species}`` folder of the layout labels every animal box of its images
(``folder``); with ``species.backend: tags`` only tagged images get a species and
the rest are ``unknown``.

An individual tag names the species too: the catalogue's animals are of the
target species, so the only animal box of an image tagged ``Individual|LYX012``
is that species even where the classifier said fox (or, with the ``tags``
backend, nothing). Otherwise the person's identification would never reach a
capture. With several animal boxes, several target species, or a box already
labelled with a target species, the tag cannot say more and labels stay.
"""

from __future__ import annotations

import logging

import pandas as pd

from trapline.inventory.keywords import split_values

log = logging.getLogger(__name__)


def person_labels(
    boxes: pd.DataFrame,
    images: pd.DataFrame,
    backend: str,
    target_species: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Boxes with the species people gave put over the machine's.

    Args:
        boxes: labelled boxes (``image_id``, ``category``, ``species``,
            ``species_conf``, ``species_source``).
        images: the inventory's images with ``tag_species`` and, with the
            ``folders`` backend, ``folder_species``.
        backend: ``species.backend``.
        target_species: top-level ``target_species`` (what an individual tag
            implies, when there is one).

    Returns:
        A copy of ``boxes`` with the people's labels in place.
    """
    out = boxes.copy()
    animal = out["category"] == "animal"
    if backend == "folders" and "folder_species" in images:
        folder = out["image_id"].map(images.set_index("image_id")["folder_species"])
        take = animal & folder.notna()
        out.loc[take, "species"] = folder[take]
        out.loc[take, "species_conf"] = 1.0
        out.loc[take, "species_source"] = "folder"
    if "tag_species" not in images:
        return individual_species(out, images, target_species)
    tagged = images.set_index("image_id")["tag_species"].dropna().map(split_values)
    names = out["image_id"].map(tagged)
    has = animal & names.notna()
    one = has & (names.map(lambda v: len(v) if isinstance(v, list) else 0) == 1)
    out.loc[one, "species"] = names[one].map(lambda v: v[0])
    several = has & ~one
    confirmed = several & pd.Series(
        [
            s in v if isinstance(v, list) else False
            for s, v in zip(out["species"], names, strict=True)
        ],
        index=out.index,
    )
    out.loc[one | confirmed, "species_conf"] = 1.0
    out.loc[one | confirmed, "species_source"] = "tag"
    left = int((several & ~confirmed).sum())
    if left:
        log.warning(
            "%d animal boxes in images tagged with several species keep the "
            "machine's label (which box is which species is not in the tags)",
            left,
        )
    log.info("%d animal boxes labelled by a person's species tag", int(one.sum()))
    return individual_species(out, images, target_species)


def individual_species(
    boxes: pd.DataFrame, images: pd.DataFrame, target_species: tuple[str, ...]
) -> pd.DataFrame:
    """The only animal box of an image with an individual tag is a target animal.

    Applies when the season has one target species, the image has no species
    tag, and none of its animal boxes is labelled a target species already.
    """
    if "tag_individuals" not in images or len(target_species) != 1:
        return boxes
    named = images["tag_individuals"].notna()
    if "tag_species" in images:  # a person's species tag says it all
        named &= images["tag_species"].isna()
    animal = (boxes["category"] == "animal") & boxes["image_id"].isin(
        set(images.loc[named, "image_id"])
    )
    if not animal.any():
        return boxes
    is_target = boxes.loc[animal, "species"].isin(target_species)
    per_image = is_target.groupby(boxes.loc[animal, "image_id"])
    n_boxes, n_target = per_image.size(), per_image.sum()
    lone = set(n_boxes.index[(n_boxes == 1) & (n_target == 0)])
    take = animal & boxes["image_id"].isin(lone)
    out = boxes.copy()
    out.loc[take, "species"] = target_species[0]
    out.loc[take, "species_conf"] = 1.0
    out.loc[take, "species_source"] = "tag"
    unsure = int(((n_boxes > 1) & (n_target == 0)).sum())
    if unsure:
        log.warning(
            "%d images tagged with an individual have several animal boxes and none "
            "labelled %s: which box the individual is is not in the tags, labels stay",
            unsure,
            target_species[0],
        )
    if take.any():
        log.info(
            "%d animal boxes labelled %s by an individual tag",
            int(take.sum()),
            target_species[0],
        )
    return out
