"""trapline: camera-trap seasons to individual capture histories.

The package holds the logic; the Snakemake workflow (``Snakefile``, ``rules/``)
only wires stages together, so every step can be tested and reused without it.
"""

__version__ = "0.1.0"
