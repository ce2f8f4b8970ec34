"""Small statistics for the policy: the Wilson score interval of a proportion (also for
items that come in groups), and a joint interval for the number of wrong values summed over
labels.

The optimiser and the dry run report precision with a 95% Wilson interval (not a
bootstrap): it is exact enough for the counts involved, never leaves [0, 1], and stays
meaningful at 0 or n successes, where a normal interval collapses.

**Grouped items.** Pages of one book, records by one artist are not independent: a model
that misreads one page of a book often misreads the next, so 30 pages from 3 books carry
far less evidence than 30 pages from 30 books, and a Wilson interval on pages is too
narrow. When the split is grouped (``labels split --group-by``), :func:`grouped_wilson`
divides the count by the *design effect* (Kish): ``deff = 1 + (m - 1) * rho``, with ``m``
the size-weighted mean number of counted items per group and ``rho`` the intra-group
correlation of being right (:func:`intra_group_correlation`, estimated on every
prediction of the data at hand, so it exists even when the accepted ones are all right),
or the ratio of the between-group (cluster) variance of the precision to the binomial
one, whichever is larger. The interval is Wilson's on the *effective* number of items,
``n / deff``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

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


def wilson_rate(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson interval of a proportion ``p`` seen on ``n`` items, where ``n`` may be an
    effective (fractional) number of items."""
    if n <= 0:
        return 0.0, 1.0
    return wilson(p * n, n, z)  # type: ignore[arg-type]


def expected_precision(p: float, n_eff: float) -> float:
    """The precision to expect from ``p`` seen on ``n_eff`` (effective) items: the mean of
    the Jeffreys posterior, ``(p * n_eff + 1/2) / (n_eff + 1)``. 1 of 1 right is 0.75,
    20 of 20 is 0.976: a handful of lucky items is not a promise of 100%."""
    return (p * n_eff + 0.5) / (n_eff + 1.0)


def intra_group_correlation(groups: Iterable[tuple[int, int]]) -> float | None:
    """The intra-group correlation of a yes/no outcome (ANOVA estimator) from
    ``(successes, n)`` per group; 0 when every item agrees, None with fewer than two
    groups or no group of two. Clipped to [0, 1]."""
    counts = [(k, n) for k, n in groups if n > 0]
    m = len(counts)
    total = sum(n for _, n in counts)
    if m < 2 or total <= m:
        return None
    p = sum(k for k, _ in counts) / total
    msb = sum(n * (k / n - p) ** 2 for k, n in counts) / (m - 1)
    msw = sum(k - k * k / n for k, n in counts) / (total - m)  # sum n * p_g * (1 - p_g)
    n0 = (total - sum(n * n for _, n in counts) / total) / (m - 1)
    denom = msb + (n0 - 1) * msw
    if denom <= 0:
        return 0.0
    return min(1.0, max(0.0, (msb - msw) / denom))


def design_effect(groups: Sequence[tuple[int, int]], rho: float | None) -> float:
    """How many times fewer independent items ``(successes, n)`` per group are worth:
    the larger of Kish's ``1 + (m - 1) * rho`` and the observed between-group variance of
    the precision over the binomial one; at least 1, at most the number of items."""
    counts = [(k, n) for k, n in groups if n > 0]
    return design_effect_from_sums(
        sum(n for _, n in counts), sum(k for k, _ in counts), len(counts),
        sum(n * n for _, n in counts), sum(k * n for k, n in counts),
        sum(k * k for k, _ in counts), rho)


def design_effect_from_sums(n: int, k: int, g: int, s_nn: float, s_kn: float, s_kk: float,
                            rho: float | None) -> float:
    """:func:`design_effect` from running sums (``n`` items, ``k`` successes, ``g``
    groups, and the sums over groups of n_g², k_g·n_g and k_g²), so that a scan over
    thresholds updates it in constant time per item."""
    if n <= 0:
        return 1.0
    deff = 1.0 + (s_nn / n - 1.0) * (rho or 0.0)
    p = k / n
    if g >= 2 and s_nn > n and 0.0 < p < 1.0:  # some group holds more than one item
        spread = s_kk - 2 * p * s_kn + p * p * s_nn  # sum over groups of (k_g - p n_g)^2
        between = g / (g - 1) * max(0.0, spread) / (n * n)
        deff = max(deff, between / (p * (1 - p) / n))
    return min(max(1.0, deff), float(n))  # never below one item's worth


def grouped_wilson(groups: Sequence[tuple[int, int]], rho: float | None,
                   z: float = Z95) -> tuple[float, float, float]:
    """The Wilson interval of the pooled precision of ``(successes, n)`` per group on the
    effective number of items (``n / design_effect``); returns (low, high, effective n).
    With one item per group (an ungrouped split) it is the plain Wilson interval."""
    k = sum(c for c, _ in groups)
    n = sum(t for _, t in groups)
    if n <= 0:
        return 0.0, 1.0, 0.0
    n_eff = n / design_effect(groups, rho)
    lo, hi = wilson_rate(k / n, n_eff, z)
    return lo, hi, n_eff


def wrong_total_interval(parts: list[tuple[float, float, float]], level: float = 0.95,
                         draws: int = 20_000, seed: int = 0) -> tuple[float, float]:
    """A ``level`` interval for the total number of wrong values over several labels.

    ``parts`` holds, per label, ``(n, correct, tested)``: ``n`` values to be written, and
    ``correct`` of ``tested`` such values right on the test split (``tested`` may be an
    effective, fractional number of items: :func:`grouped_wilson`). Each label's precision
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
