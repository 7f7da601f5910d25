"""Species and individuals people already wrote into their images' keywords.

Programmes that identified animals by eye keep the answer in the images:
hierarchical keywords such as ``Individual|LYX012`` and ``Species|Lynx lynx``
(Lightroom's ``XMP-lr:HierarchicalSubject``, camtrapR's ``metadataIDTag`` /
``metadataSpeciesTag`` convention), DigiKam's ``XMP-digiKam:TagsList``
(``Individual/LYX012``), or flat keywords written with the path in them
(``XMP-dc:Subject``, ``IPTC:Keywords``). They come from the inventory's one batch
exiftool call (:data:`trapline.inventory.exif.TAGS`), so reading them costs
nothing extra.

A keyword is matched on the configured path names case- and
whitespace-insensitively (``individual | lyx012`` counts), its value has its
blanks collapsed, and a species value is written as a scientific name is
(``lynx  LYNX`` → ``Lynx lynx``). One image may carry several individuals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

KEYWORD_TAGS = ("HierarchicalSubject", "TagsList", "Subject", "Keywords")
"""The keyword tags read, most structured first (names without their group)."""

DIGIKAM_DELIMITER = "/"
"""DigiKam's ``TagsList`` separates levels with ``/`` whatever Lightroom uses."""

SEPARATOR = "|"
"""Between several values in one ``tag_species`` / ``tag_individuals`` cell."""


@dataclass(frozen=True)
class TagSettings:
    """Config ``tags``: which keyword paths carry species and individuals.

    Args:
        species: the path name of species keywords (camtrapR
            ``metadataSpeciesTag``): ``Species`` reads ``Species|Lynx lynx``.
        individual: the path name of individual keywords (camtrapR
            ``metadataIDTag``): ``Individual`` reads ``Individual|LYX012``.
        delimiter: between the levels of a hierarchical keyword (camtrapR
            ``metadataHierarchyDelimitor``); DigiKam's ``/`` is read as well.

    A config may name the fields as camtrapR's ``recordTable`` arguments do
    (:attr:`ALIASES`), so a user's camtrapR script translates word for word;
    :func:`trapline.config.resolve_aliases` maps them when settings are built.
    """

    ALIASES: ClassVar[dict[str, str]] = {
        "metadataSpeciesTag": "species",
        "metadataIDTag": "individual",
        "metadataHierarchyDelimitor": "delimiter",
    }
    """camtrapR's argument name → the field it sets."""

    species: str = "Species"
    individual: str = "Individual"
    delimiter: str = "|"

    def __post_init__(self) -> None:
        for key in ("species", "individual", "delimiter"):
            if not str(getattr(self, key)).strip():
                raise ValueError(f"config key 'tags.{key}' must not be empty")
        if _norm(self.species) == _norm(self.individual):
            raise ValueError(
                f"config keys 'tags.species' and 'tags.individual' are both "
                f"{self.species!r}: name two different keyword paths"
            )


def _norm(text: str) -> str:
    """Case- and whitespace-insensitive form of a path name."""
    return " ".join(str(text).split()).casefold()


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def species_name(text: str) -> str:
    """A species keyword as a scientific name is written: ``Lynx lynx``."""
    name = _clean(text)
    return name[:1].upper() + name[1:].lower()


def keywords(tags: dict[str, object]) -> list[tuple[str, str]]:
    """Every keyword of one image with the delimiter it may be split on."""
    found = []
    for name in KEYWORD_TAGS:
        value = tags.get(name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        found += [(str(v), name) for v in values if str(v).strip()]
    return found


def read_keywords(
    tags: dict[str, object], settings: TagSettings
) -> tuple[list[str], list[str]]:
    """The species and individuals one image is tagged with, each once.

    Returns:
        ``(species, individuals)`` in the order first seen; individuals are
        deduplicated case-insensitively (the first spelling kept).
    """
    wanted = {_norm(settings.species): "species", _norm(settings.individual): "id"}
    out: dict[str, dict[str, str]] = {"species": {}, "id": {}}
    for text, tag in keywords(tags):
        delimiters = [settings.delimiter]
        if tag == "TagsList":
            delimiters.append(DIGIKAM_DELIMITER)
        for delimiter in delimiters:
            parts = [p for p in text.split(delimiter) if p.strip()]
            levels = [_norm(p) for p in parts[:-1]]
            kind = next((wanted[x] for x in levels if x in wanted), None)
            if kind is None or len(parts) < 2:
                continue
            value = species_name(parts[-1]) if kind == "species" else _clean(parts[-1])
            out[kind].setdefault(value.casefold(), value)
            break
    return list(out["species"].values()), list(out["id"].values())


def keyword_columns(tags: pd.DataFrame, settings: TagSettings) -> pd.DataFrame:
    """``tag_species`` and ``tag_individuals`` for every image (None if untagged).

    Args:
        tags: one row per image, one column per exiftool tag (group dropped).
        settings: the configured keyword paths.
    """
    rows = []
    for record in tags.to_dict("records"):
        present = {k: v for k, v in record.items() if k in KEYWORD_TAGS and _present(v)}
        species, individuals = read_keywords(present, settings)
        rows.append(
            (SEPARATOR.join(species) or None, SEPARATOR.join(individuals) or None)
        )
    return pd.DataFrame(
        rows, columns=["tag_species", "tag_individuals"], index=tags.index, dtype=object
    )


def _present(value: object) -> bool:
    if isinstance(value, list):
        return bool(value)
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def split_values(cell: object) -> list[str]:
    """The values of one ``tag_species`` / ``tag_individuals`` cell."""
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return []
    return [v for v in str(cell).split(SEPARATOR) if v]
