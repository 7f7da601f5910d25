"""Species: a label for every animal box, counts per species, the target filter.

Re-identification must only ever see the target species: a fox has no lynx spots,
and matched or clustered it would invent individuals and inflate the abundance
estimate. So every animal box gets a species label from one backend (config
``species.backend``), labels the backend is not confident about stay ``unknown``
(never silently the target), the crops of one burst share their majority label
unless the classifier is sure otherwise, and only crops labelled with a target
species reach identification.

Modules: ``labels`` (settings, name mapping, the ``unknown`` rule), ``reference``
(the few-shot reference folder), ``fewshot`` (k nearest neighbours on crop
embeddings), ``speciesnet`` (Google's SpeciesNet classifier), ``smoothing``
(sequence majority), ``counts`` (animals per species per image and sequence),
``stage`` (the Snakemake step).
"""

from trapline.species.counts import species_counts
from trapline.species.fewshot import knn_labels
from trapline.species.labels import UNKNOWN, SpeciesSettings, final_labels
from trapline.species.reference import read_reference
from trapline.species.smoothing import smooth_sequences

__all__ = [
    "UNKNOWN",
    "SpeciesSettings",
    "final_labels",
    "knn_labels",
    "read_reference",
    "smooth_sequences",
    "species_counts",
]
