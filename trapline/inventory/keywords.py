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
        flank: the path name of flank keywords (``Flank|left``), read on the
            images of a tagged catalogue (``identify.catalogue_kind: tagged``).

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
    flank: str = "Flank"

    def __post_init__(self) -> None:
        for key in ("species", "individual", "delimiter", "flank"):
            if not str(getattr(self, key)).strip():
                raise ValueError(f"config key 'tags.{key}' must not be empty")
        paths = ("species", "individual", "flank")
        for i, first in enumerate(paths):
            for second in paths[i + 1 :]:
                if _norm(getattr(self, first)) == _norm(getattr(self, second)):
                    raise ValueError(
                        f"config keys 'tags.{first}' and 'tags.{second}' are both "
                        f"{getattr(self, first)!r}: name different keyword paths"
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
    found = _read_paths(
        tags, settings, {settings.species: "species", settings.individual: "id"}
    )
    return found["species"], found["id"]


def read_flanks(tags: dict[str, object], settings: TagSettings) -> list[str]:
    """The flanks one image is tagged with (``Flank|left``), as written.

    Only a tagged catalogue reads them (a season's flank is the machine's);
    :func:`flank_value` says which name ``left`` or ``right``.
    """
    return _read_paths(tags, settings, {settings.flank: "flank"})["flank"]


def flank_value(text: str) -> str | None:
    """``left``/``right`` from a flank tag (``Left``, ``l``, ``right flank``), else
    None: a tag that names neither side leaves the flank unknown."""
    words = _clean(text).casefold().split()
    for word in words:
        if word in ("left", "l"):
            return "left"
        if word in ("right", "r"):
            return "right"
    return None


def _read_paths(
    tags: dict[str, object], settings: TagSettings, paths: dict[str, str]
) -> dict[str, list[str]]:
    """The values of the keyword paths ``paths`` (path name → kind), by kind."""
    wanted = {_norm(path): kind for path, kind in paths.items()}
    out: dict[str, dict[str, str]] = {kind: {} for kind in paths.values()}
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
    return {kind: list(values.values()) for kind, values in out.items()}


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


def flank_column(tags: pd.DataFrame, settings: TagSettings) -> pd.Series:
    """``left``/``right`` per image from its flank tag; None where untagged, where
    the tag names neither side, or where two tags disagree."""
    values = []
    for record in tags.to_dict("records"):
        present = {k: v for k, v in record.items() if k in KEYWORD_TAGS and _present(v)}
        sides = {flank_value(f) for f in read_flanks(present, settings)}
        values.append(sides.pop() if len(sides) == 1 else None)
    return pd.Series(values, index=tags.index, dtype=object, name="tag_flank")


def _present(value: object) -> bool:
    if isinstance(value, list):
        return bool(value)
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def split_values(cell: object) -> list[str]:
    """The values of one ``tag_species`` / ``tag_individuals`` cell."""
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return []
    return [v for v in str(cell).split(SEPARATOR) if v]
