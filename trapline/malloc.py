"""Keep freed memory in the process: models on a CPU reuse it image after image.

glibc serves every allocation above its ``mmap`` threshold (at most 32 MB) with a
fresh ``mmap`` and unmaps it when freed. A model's activations are tens to
hundreds of megabytes each, so on a CPU every forward pass faults all of them in
again as zeroed pages. Measured on this project's 2-core CPU (``bench/malloc.py``,
figures in ``docs/benchmarks.md``): hundreds of thousands of page faults per
YOLOv5x6 frame at 1280 px and millions per DINOv2 ViT-L/14 batch, 1.1–1.35× the
time per pass; keeping freed blocks costs 5–16 % more peak memory, reached by
the second pass and flat after it.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
"""``mallopt`` parameters, from glibc's ``malloc.h``."""


def keep_freed_memory() -> bool:
    """Turn glibc's ``mmap`` off and raise its trim threshold for this process.

    Process-wide, so it is called only where a model runs in a process of its
    own (the detect and embed jobs), and only on a CPU: on a GPU activations
    live in the GPU's own caching allocator. Elsewhere than glibc it does
    nothing.

    Returns:
        Whether glibc took both settings.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        done = bool(
            libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TRIM_THRESHOLD, 2**30)
        )
    except (OSError, AttributeError):
        done = False
    log.debug("glibc keeps freed memory: %s", done)
    return done
