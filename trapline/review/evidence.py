"""Why a left-only and a right-only identity may be one animal: their captures.

Used by the flank-link queue (:func:`trapline.review.queues.flank_items`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def flank_evidence(a: pd.DataFrame, b: pd.DataFrame) -> dict | None:
    """Why two identities may be one animal (None: no reason, or impossible)."""
    shared = sorted(set(a["station"]) & set(b["station"]))
    if not shared:
        return None
    ta = a.sort_values("datetime")
    tb = b.sort_values("datetime")
    # Never at two stations at once (within an hour): a different animal.
    times_b = tb["datetime"].to_numpy()
    for station, when in zip(ta["station"], ta["datetime"].to_numpy(), strict=True):
        lo = np.searchsorted(times_b, when - np.timedelta64(1, "h"))
        hi = np.searchsorted(times_b, when + np.timedelta64(1, "h"))
        if (tb["station"].iloc[lo:hi] != station).any():
            return None
    nights = {
        (s, (t - pd.Timedelta(hours=12)).date())
        for s, t in zip(ta["station"], ta["datetime"], strict=True)
    } & {
        (s, (t - pd.Timedelta(hours=12)).date())
        for s, t in zip(tb["station"], tb["datetime"], strict=True)
    }
    reasons = [f"both at {len(shared)} station(s): {', '.join(shared[:5])}"]
    if nights:
        reasons.append(f"same station on the same night {len(nights)} time(s)")
    union = set(a["station"]) | set(b["station"])
    score = len(shared) / len(union) + len(nights)
    return {
        "score": round(score, 3),
        "shared_stations": shared,
        "same_nights": len(nights),
        "evidence": reasons,
    }
