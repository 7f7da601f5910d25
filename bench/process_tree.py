"""Peak memory of a benchmarked command: its whole process tree, sampled.

Both sides of a benchmark may start workers (MegaDetector's pool, Snakemake's
jobs), so one process's RSS would undercount; the tree's summed RSS is sampled
every 0.05 s from a thread while the command runs.
"""

from __future__ import annotations

import threading

import psutil


class TreeSampler:
    """Use as ``with TreeSampler(pid) as tree:``; then ``tree.peak_rss`` (bytes)
    and ``tree.peak_procs`` hold the peaks seen while the block ran."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.peak_procs = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            rss = 0
            for p in tree:
                try:
                    rss += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_procs = max(self.peak_procs, len(tree))
            self._done.wait(self.interval)
