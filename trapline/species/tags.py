"""Species a person gave: keyword tags (always) and species folders (on request).

A person's tag wins over the machine: every animal box of an image tagged with
one species gets that species (``species_source`` ``tag``, probability 1). An
image tagged with several species cannot say which box is which, so a box keeps
its machine label when it is one of them (then marked ``tag``, confirmed) and
stays as the machine said otherwise. With ``species.backend: folders`` the
``{species}`` folder of the layout labels every animal box of its images
(``folder``); with ``species.backend: tags`` only tagged images get a species and
the rest are ``unknown``.
"""

from __future__ import annotations

import logging

import pandas as pd

from trapline.inventory.keywords import split_values

log = logging.getLogger(__name__)


def person_labels(
    boxes: pd.DataFrame, images: pd.DataFrame, backend: str
) -> pd.DataFrame:
    """Boxes with the species people gave put over the machine's.

    Args:
        boxes: labelled boxes (``image_id``, ``category``, ``species``,
            ``species_conf``, ``species_source``).
        images: the inventory's images with ``tag_species`` and, with the
            ``folders`` backend, ``folder_species``.
        backend: ``species.backend``.

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
        return out
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
    return out
