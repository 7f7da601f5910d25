"""Closed-population sanity estimates from the capture history.

Not a substitute for the spatial models the exports feed (secr, MARK): a quick
check that the history is plausible, written beside the tables. Chao's M_h
allows capture probabilities to differ between individuals (camera-trapped cats
range over few or many stations) and is a lower bound in that case; Schnabel's
estimator assumes one capture probability for all and is biased low when they
differ. On a simulated season both are compared with the true number.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

Z95 = 1.959964


def frequencies(binary: np.ndarray) -> np.ndarray:
    """f_k: individuals caught on exactly k occasions, k = 1…K (index k-1)."""
    k = binary.shape[1] if binary.ndim == 2 else 0
    caught = binary.sum(axis=1) if binary.size else np.zeros(0, dtype=int)
    return np.bincount(caught, minlength=k + 1)[1:]


def chao_mh(binary: np.ndarray) -> dict[str, Any]:
    """Chao's (1987) heterogeneity estimator, bias-corrected form.

    N = M + (K-1)/K · f1 (f1 - 1) / (2 (f2 + 1)), defined also when no animal
    was caught twice; 95 % interval log-normal on the uncaught part, as Chao
    proposed, so its lower end is never below M.

    Args:
        binary: individuals × occasions, 0/1.
    """
    m = int(binary.shape[0])
    k = int(binary.shape[1]) if binary.ndim == 2 else 0
    f = frequencies(binary)
    f1 = int(f[0]) if len(f) > 0 else 0
    f2 = int(f[1]) if len(f) > 1 else 0
    a = (k - 1) / k if k > 0 else 0.0
    uncaught = a * f1 * (f1 - 1) / (2 * (f2 + 1))
    var = (
        a * f1 * (f1 - 1) / (2 * (f2 + 1))
        + a**2 * f1 * (2 * f1 - 1) ** 2 / (4 * (f2 + 1) ** 2)
        + a**2 * f1**2 * f2 * (f1 - 1) ** 2 / (4 * (f2 + 1) ** 4)
    )
    low, high = float(m), float(m)
    if uncaught > 0:
        c = math.exp(Z95 * math.sqrt(math.log(1 + var / uncaught**2)))
        low, high = m + uncaught / c, m + uncaught * c
    return {
        "N": round(m + uncaught, 2),
        "se": round(math.sqrt(var), 2),
        "ci95": [round(low, 2), round(high, 2)],
        "f1": f1,
        "f2": f2,
    }


def schnabel(binary: np.ndarray) -> dict[str, Any]:
    """Schnabel's multiple-census estimator with Chapman's +1.

    N = Σ C_t M_t / (Σ R_t + 1): C_t caught on occasion t, M_t marked before t,
    R_t recaptures among C_t. The 95 % interval treats Σ R_t as Poisson
    (normal approximation on 1/N), the textbook interval.
    """
    if binary.size == 0:
        return {"N": None, "ci95": [None, None], "recaptures": 0}
    caught_before = np.zeros(binary.shape[0], dtype=bool)
    sum_cm, sum_r = 0.0, 0
    for t in range(binary.shape[1]):
        now = binary[:, t] > 0
        marked = int(caught_before.sum())
        sum_cm += now.sum() * marked
        sum_r += int((now & caught_before).sum())
        caught_before |= now
    if sum_cm == 0:
        return {"N": None, "ci95": [None, None], "recaptures": sum_r}
    n = float(sum_cm / (sum_r + 1))
    half = Z95 * math.sqrt(max(sum_r, 1)) / sum_cm
    inv = 1 / n
    high = 1 / (inv - half) if inv - half > 0 else None
    return {
        "N": round(n, 2),
        "ci95": [round(1 / (inv + half), 2), None if high is None else round(high, 2)],
        "recaptures": sum_r,
    }


def estimates(binary: np.ndarray) -> dict[str, Any]:
    """Every sanity figure for one session's binary history."""
    return {
        "individuals_captured": int(binary.shape[0]),
        "occasions": int(binary.shape[1]) if binary.ndim == 2 else 0,
        "captures": int(binary.sum()),
        "frequencies": frequencies(binary).astype(int).tolist(),
        "chao_mh": chao_mh(binary),
        "schnabel": schnabel(binary),
    }


def history_estimates(history: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`estimates` for each session × species of a capture history table."""
    results = []
    for (session, species), rows in history.groupby(["Session", "Species"]):
        width = len(rows["ch"].iloc[0])
        binary = rows[[f"o{k}" for k in range(1, width + 1)]].to_numpy("int64")
        results.append({"Session": session, "Species": species, **estimates(binary)})
    return results
