"""Confidence intervals: Wilson intervals for proportions and paired-bootstrap weights."""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (95% by default).

    Unlike the normal approximation it stays inside [0, 1] and is not a point when every
    trial succeeds: 5 of 5 gives (0.566, 1.0). With ``n == 0`` it is (0.0, 1.0).

    Example:
        >>> [round(x, 3) for x in wilson_interval(4, 5)]
        [0.376, 0.964]
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n)`` resampling counts: row ``b`` says how often each item is drawn.

    Every metric computed from the same weights is paired: both models are scored on the
    very same resampled rows.
    """
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates (NaN replicates are ignored)."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)
