"""Species settings and the rule that turns a classifier's output into a label.

A classifier always names its best guess; an ecologist needs to know when that
guess is not worth trusting. Below ``min_conf`` the label is ``unknown``, and an
unknown animal is counted but never identified, so a doubtful fox cannot turn
into a new lynx.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from trapline.species.speciesnet import SpeciesNetSettings

UNKNOWN = "unknown"
"""The label of an animal no backend was confident about."""

BACKENDS = ("imported", "fewshot", "speciesnet", "tags", "folders")


@dataclass(frozen=True)
class SmoothingSettings:
    """Config ``species.smoothing``: a sequence's crops share its majority label.

    Args:
        enabled: smooth at all.
        min_votes: least confident crops that must agree on the majority before
            it overrides anything.
        keep_conf: a crop labelled otherwise at or above this probability keeps
            its own label (two species in one burst).
    """

    enabled: bool = True
    min_votes: int = 2
    keep_conf: float = 0.9


@dataclass(frozen=True)
class SpeciesSettings:
    """Config ``species`` (see ``config/config.yaml``).

    Args:
        backend: where labels come from: ``imported`` (classifications in the
            MegaDetector file), ``fewshot`` (nearest reference images),
            ``speciesnet``, ``tags`` (only the species people tagged in the
            images' keywords) or ``folders`` (the layout's ``{species}``
            folder). A species tag wins over any backend.
        min_conf: least classifier probability for a label; below it ``unknown``.
        names: classifier label → the name used downstream (e.g. SpeciesNet's
            common names → the scientific names of ``target_species``).
        smoothing: the crops of one sequence share its majority label.
        reference: few-shot: folder of labelled images, ``<species>/*.jpg``.
        k: neighbours that vote in the few-shot backend.
        min_similarity: few-shot: a crop less similar than this (cosine) to every
            reference gets no label.
        speciesnet: the SpeciesNet backend's model and geofence.
    """

    backend: str = "imported"
    min_conf: float = 0.5
    names: dict[str, str] = field(default_factory=dict)
    smoothing: SmoothingSettings = field(default_factory=SmoothingSettings)
    reference: str | None = None
    k: int = 5
    min_similarity: float = 0.0
    speciesnet: SpeciesNetSettings = field(default_factory=SpeciesNetSettings)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(
                f"config key 'species.backend' = {self.backend!r}: use one of "
                f"{', '.join(BACKENDS)}"
            )


def final_labels(
    boxes: pd.DataFrame, settings: SpeciesSettings, source: str
) -> pd.DataFrame:
    """Add ``species``, ``species_conf``, ``species_source`` to detector boxes.

    Args:
        boxes: with ``category``, ``classifier_species`` and ``classifier_conf``
            (null where the backend did not see the box).
        source: the backend's name, recorded for every box it classified.

    Returns:
        A copy: animals get the mapped label, or ``unknown`` when unlabelled or
        below ``min_conf``; people and vehicles get no species.
    """
    out = boxes.copy()
    named = out["classifier_species"].map(lambda s: settings.names.get(s, s))
    conf = pd.to_numeric(out["classifier_conf"], errors="coerce")
    animal = out["category"] == "animal"
    sure = animal & named.notna() & (conf >= settings.min_conf)
    out["species"] = pd.Series(UNKNOWN, index=out.index, dtype=object)
    out.loc[sure, "species"] = named[sure]
    out.loc[~animal, "species"] = None
    out["species_conf"] = conf.where(sure).astype("Float64")
    seen = animal & (named.notna() | conf.notna())
    out["species_source"] = pd.Series("none", index=out.index, dtype=object)
    out.loc[seen, "species_source"] = source
    out.loc[~animal, "species_source"] = None
    return out
