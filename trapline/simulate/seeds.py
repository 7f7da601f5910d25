"""Named, independent random streams.

Every random decision draws from a stream keyed by the season seed plus a
purpose label and indices.  Adding a new random decision therefore never
shifts the numbers drawn for an existing one, and a frame rendered in any worker
process sees exactly the same numbers as in a serial run.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key(part: int | str) -> int:
    if isinstance(part, str):
        return zlib.crc32(part.encode("utf-8"))
    return int(part)


def stream(seed: int, *parts: int | str) -> np.random.Generator:
    """Return a generator that depends only on ``seed`` and the ``parts`` labels."""
    return np.random.default_rng(np.random.SeedSequence([seed, *map(_key, parts)]))


def derive(seed: int, *parts: int | str) -> int:
    """Return a 63-bit integer seed for handing to another process or cache key."""
    return int(stream(seed, *parts).integers(0, 2**63 - 1))
