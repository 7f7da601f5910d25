"""Kept freed memory: a freed activation stays in the process for the next one."""

import subprocess
import sys

import pytest

KEPT_MB = """
import os, sys
import numpy as np
from trapline.malloc import keep_freed_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

if sys.argv[1] == "keep":
    assert keep_freed_memory()
before = rss()
block = np.ones(2**23)  # 64 MB, touched
del block
print((rss() - before) // 2**20)
"""


def kept_mb(mode: str) -> int:
    """MB still resident after a 64 MB block is freed, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", KEPT_MB, mode], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_freed_memory_stays_for_reuse_instead_of_going_back_to_the_system():
    assert kept_mb("default") < 16  # glibc unmapped the block
    assert kept_mb("keep") >= 60
