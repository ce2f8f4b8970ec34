"""Small statistics for the policy: the Wilson score interval of a proportion, and a
joint interval for the number of wrong values summed over labels.

The optimiser and the dry run report precision with a 95% Wilson interval (not a
bootstrap): it is exact enough for the counts involved, never leaves [0, 1], and stays
meaningful at 0 or n successes, where a normal interval collapses.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` out of ``n`` (``(0, 1)`` when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes ({successes}) must be between 0 and n ({n})")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def wrong_total_interval(parts: list[tuple[int, int, int]], level: float = 0.95,
                         draws: int = 20_000, seed: int = 0) -> tuple[float, float]:
    """A ``level`` interval for the total number of wrong values over several labels.

    ``parts`` holds, per label, ``(n, correct, tested)``: ``n`` values to be written, and
    ``correct`` of ``tested`` such values right on the test split. Each label's precision
    gets a Jeffreys posterior, Beta(correct + 1/2, wrong + 1/2); the interval is the central
    ``level`` share of ``sum n * (1 - precision)`` over ``draws`` joint draws (a fixed
    seed, so a report is repeatable). Adding each label's own 95% upper bound instead
    would give far more than 95%: with many labels and few test items each, that sum
    approaches "everything may be wrong"."""
    import numpy as np

    if not parts:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    total = np.zeros(draws)
    for n, correct, tested in parts:
        if not 0 <= correct <= tested:
            raise ValueError(f"correct ({correct}) must be between 0 and tested ({tested})")
        p = rng.beta(correct + 0.5, tested - correct + 0.5, size=draws)
        total += n * (1.0 - p)
    lo, hi = np.quantile(total, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
