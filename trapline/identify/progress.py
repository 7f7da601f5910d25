"""Progress of the long parts of identification, in the log.

A season of 10^5 crops keeps the identify rule busy for an hour or more, and a
silent log cannot tell a slow run from a hung one. Each long loop (features,
shortlist, verification, clustering) reports how much is done, its rate and
what remains, at most every ``every`` seconds, so the log stays readable
whatever the season's size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``: as a person reads a wait."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


class Progress:
    """Counts ``done`` of ``total`` items and logs rate and time left now and then.

    Args:
        what: the part, as the log names it (``verification``).
        total: items to do.
        unit: what an item is (``crops``).
        every: seconds between two lines; the first comes after ``every`` too,
            so a part shorter than that logs only its summary.
        clock: the time source (tests pass a fake one).
    """

    def __init__(
        self,
        what: str,
        total: int,
        unit: str,
        every: float = 10.0,
        logger: logging.Logger = log,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.logger, self.clock = logger, clock
        self.done = 0
        self.start = self.last = clock()

    def advance(self, n: int = 1) -> None:
        """``n`` more items done; logs a line when ``every`` seconds have passed."""
        self.done += n
        now = self.clock()
        if now - self.last < self.every or self.done >= self.total:
            return  # the summary of finish() says the rest
        self.last = now
        rate = self.done / max(now - self.start, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        self.logger.info(
            "%s: %d/%d %s (%.0f %%), %.1f %s/s, about %s left",
            self.what,
            self.done,
            self.total,
            self.unit,
            100 * self.done / max(self.total, 1),
            rate,
            self.unit,
            duration(left) if left != float("inf") else "?",
        )

    def finish(self, note: str = "") -> None:
        """One summary line: how many items, in how long (and ``note``)."""
        elapsed = self.clock() - self.start
        self.logger.info(
            "%s: %d %s in %s%s",
            self.what,
            self.done,
            self.unit,
            duration(elapsed),
            f"; {note}" if note else "",
        )
