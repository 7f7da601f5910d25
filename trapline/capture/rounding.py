"""Rounding as R's ``round(x, digits)`` does it, so camtrapR's columns match.

numpy rounds ``x`` to ``d`` decimals as ``rint(x * 10**d) / 10**d``: the product is
rounded to a double first, so 5.65 h (stored as 5.65000000000000036) becomes
exactly 56.5 and half-to-even gives 5.6. R (since 4.0.0, ``src/nmath/fround.c``)
instead takes the two candidates ``floor(x * 10**d) / 10**d`` and
``ceil(x * 10**d) / 10**d`` and returns the one nearer to ``x`` itself, measured in
doubles; only a true tie goes to the even last digit. Since the double nearest
5.65 lies above 5.65, R gives 5.7, and camtrapR's ``delta.time.hours`` with it.
Decimal ``ROUND_HALF_UP`` on the printed value would agree here but not on values
such as 0.15 (stored below 0.15: R gives 0.1), so this follows R's own algorithm.
"""

from __future__ import annotations

import numpy as np

_DBL_DIG = 15


def r_round(values: np.ndarray | float, digits: int) -> np.ndarray:
    """Round like R's ``round(values, digits)`` for ``digits`` ≥ 0.

    Args:
        values: numbers (NaN stays NaN).
        digits: decimal places.

    Returns:
        A float array of the rounded values.
    """
    x = np.asarray(values, dtype=float)
    if digits == 0:
        return np.rint(x)  # R: nearbyint, half to even, as numpy
    sign = np.where(x < 0, -1.0, 1.0)
    a = np.abs(x)
    pow10 = 10.0**digits
    scaled = a * pow10
    low = np.floor(scaled)
    down, up = low / pow10, np.ceil(scaled) / pow10
    d_down, d_up = a - down, up - a
    odd = np.fmod(low, 2.0) == 1.0
    rounded = np.where((d_up < d_down) | ((d_up == d_down) & odd), up, down)
    with np.errstate(divide="ignore"):
        # R returns x unchanged when it has no digits left to round at
        exact = (a == 0) | ~np.isfinite(a) | (np.log10(a) + digits > _DBL_DIG)
    return sign * np.where(exact, a, rounded)
