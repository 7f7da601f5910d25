"""Support for tests and benchmarks, not the product.

- ``standins``: architecture-true checkpoints with random weights (MegaDetector,
  SpeciesNet, timm ViTs) that tests build themselves, since weights cannot be
  downloaded here.
- ``agreement``: box agreement between two detection runs.
"""
