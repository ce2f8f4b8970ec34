"""Uncertainty and comparisons: bootstrap confidence intervals, paired bootstrap,
McNemar's test, and slices that fare worse than the whole.

All resampling is vectorised: a resample is a row of item counts ``W`` (B, n), so
the summed statistics of every resample are ``W @ S`` for a per-item statistics
matrix ``S`` (see :mod:`.metrics`). Pairs of candidates share the same resamples.
:class:`Resamples` builds ``W`` in chunks, so memory stays bounded for large test sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Reducer = Callable[[np.ndarray, Any], dict[str, np.ndarray]]
ALPHA = 0.05


def check_n_boot(n_boot: int) -> int:
    """``n_boot`` as an int, or EvaluationError when it is below 1: an interval needs
    at least one resample (1 gives the point estimate with a bare interval)."""
    from ..errors import EvaluationError

    if int(n_boot) < 1:
        raise EvaluationError(
            f"n_boot (the bootstrap resamples behind each interval) is {n_boot}; it must "
            "be 1 or more, so nothing was evaluated",
            hint="use the default, 1000 resamples (--n-boot 1000; n_boot=1000 in "
                 "Python); 1 is fastest and gives the figures with no real interval")
    return int(n_boot)


class Resamples:
    """``n_boot`` bootstrap resamples of ``n`` items as rows of item counts, made in
    chunks of at most ``max_cells`` counts (kept when they fit in one chunk). The same
    seed gives the same resamples, so candidates compared on it are paired."""

    def __init__(self, n: int, n_boot: int = 1000, seed: int = 0,
                 max_cells: int = 10_000_000):
        self.n = int(n)
        self.n_boot = check_n_boot(n_boot)
        self.seed = seed
        self.chunk = max(1, min(self.n_boot, max_cells // max(1, self.n)))
        self._cached: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n_boot

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_boot, self.n)

    def _make(self, index: int, rows: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, index])
        draws = rng.integers(0, self.n, size=(rows, self.n), dtype=np.int64)
        draws += (np.arange(rows, dtype=np.int64) * self.n)[:, None]
        return np.bincount(draws.ravel(), minlength=rows * self.n).reshape(
            rows, self.n).astype(np.float64)

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray]]:
        """(first row, end row, counts) per chunk."""
        if self.chunk >= self.n_boot:
            if self._cached is None:
                self._cached = self._make(0, self.n_boot)
            yield 0, self.n_boot, self._cached
            return
        for index, lo in enumerate(range(0, self.n_boot, self.chunk)):
            hi = min(self.n_boot, lo + self.chunk)
            yield lo, hi, self._make(index, hi - lo)

    def __matmul__(self, S: np.ndarray) -> np.ndarray:
        out = np.empty((self.n_boot, S.shape[1]))
        for lo, hi, W in self.chunks():
            out[lo:hi] = W @ S
        return out

    def totals(self) -> np.ndarray:
        """Items per resample (always ``n``)."""
        return np.full(self.n_boot, float(self.n))

    def matrix(self) -> np.ndarray:
        """All counts at once (for small cases and tests)."""
        return np.vstack([W for _, _, W in self.chunks()])


def bootstrap_counts(n: int, n_boot: int = 1000, seed: int = 0) -> Resamples:
    """The resamples: how often each item is drawn in each of ``n_boot`` resamples."""
    return Resamples(n, n_boot, seed)


def resample_metrics(S: np.ndarray, reducer: Reducer, W: Resamples) -> dict[str, np.ndarray]:
    """Metrics for every resample (leading axis = resample)."""
    return reducer(W @ S, W.totals())


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    lo, hi = np.percentile(values, [50 * (1 - level), 50 * (1 + level)], axis=0)
    return float(lo), float(hi)


def bootstrap_ci(S: np.ndarray, reducer: Reducer, names: Sequence[str], *, n_boot: int = 1000,
                 seed: int = 0, W: Resamples | None = None, level: float = 0.95
                 ) -> dict[str, dict[str, float]]:
    """Point estimate and percentile interval for each named scalar metric."""
    point = reducer(S.sum(axis=0), float(len(S)))
    if W is None:
        W = bootstrap_counts(len(S), n_boot, seed)
    boot = resample_metrics(S, reducer, W)
    out = {}
    for name in names:
        lo, hi = interval(boot[name], level)
        out[name] = {"value": float(point[name]), "low": lo, "high": hi}
    return out


def per_label_ci(S: np.ndarray, reducer: Reducer, name: str, W: Resamples,
                 level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point values and interval bounds for a per-label metric (shape (L,))."""
    point = reducer(S.sum(axis=0), float(len(S)))[name]
    boot = resample_metrics(S, reducer, W)[name]
    lo, hi = np.percentile(boot, [50 * (1 - level), 50 * (1 + level)], axis=0)
    return np.asarray(point), lo, hi


# -- paired comparisons -----------------------------------------------------------
@dataclass
class Comparison:
    a: str
    b: str
    metric: str
    a_value: float
    b_value: float
    difference: float  # b - a
    low: float
    high: float
    p_value: float
    n_boot: int
    mcnemar: dict[str, Any] | None = None

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def verdict(self) -> str:
        return self.describe()

    def describe(self, a_role: str | None = None, b_role: str | None = None) -> str:
        """The verdict in words. The difference is always written with what it subtracts
        ("B minus A: +0.012"), so its sign cannot be read the wrong way round; ``a_role``
        and ``b_role`` ("champion", "challenger") name the two in it instead."""
        a = f"{a_role} {self.a}" if a_role else self.a
        b = f"{b_role} {self.b}" if b_role else self.b
        minus = f"{b_role or self.b} minus {a_role or self.a}: {self.difference:+.3f}"
        p = format_p(self.p_value, self.n_boot)
        if not self.significant:
            return f"no detectable difference between {a} and {b} on {self.metric} ({minus}, {p})"
        better, worse = (b, a) if self.difference > 0 else (a, b)
        return f"{better} is better than {worse} ({minus}, {p})"

    def flipped(self) -> Comparison:
        """The same comparison read the other way round (a and b swapped, the difference
        and its interval negated)."""
        mc = dict(self.mcnemar) if self.mcnemar is not None else None
        if mc is not None and "only_a_right" in mc:
            mc["only_a_right"], mc["only_b_right"] = mc.get("only_b_right"), mc["only_a_right"]
        return Comparison(self.b, self.a, self.metric, self.b_value, self.a_value,
                          -self.difference, -self.high, -self.low, self.p_value, self.n_boot, mc)

    def to_dict(self) -> dict[str, Any]:
        d = dict(vars(self))
        d["significant"] = self.significant
        d["verdict"] = self.verdict
        return d


def p_bound(p: float, n_boot: int | None = None) -> float | None:
    """The bound a p-value is said to be under, where it is at the resolution of a
    bootstrap of ``n_boot`` resamples (``1 / (n_boot + 1)``) or under 0.001 (the larger of
    the two); None where the p-value is said as it is."""
    floor = 1.0 / (n_boot + 1) if n_boot else 0.001
    if p < 0.001 or (n_boot and p <= floor):
        return max(0.001, floor)
    return None


def format_p(p: float, n_boot: int | None = None) -> str:
    """``p = 0.003`` or ``p < 0.001`` (the resolution of 1,000 resamples): how every
    report, the command line's and the web app's, writes a p-value."""
    under = p_bound(p, n_boot)
    return f"p = {p:.3f}" if under is None else f"p < {under:.3g}"


def weakest_p(comparisons: Sequence[Comparison]) -> str:
    """The p-value of the least sure of ``comparisons`` (the largest), as :func:`format_p`
    writes it: what "better than every baseline" quotes, in ``glamlab evaluate``'s
    verdict and the web app's alike."""
    worst = max(comparisons, key=lambda c: c.p_value)
    return format_p(worst.p_value, worst.n_boot)


def paired_bootstrap(S_a: np.ndarray, S_b: np.ndarray, reducer: Reducer, metric: str, *,
                     W: Resamples | None = None, n_boot: int = 1000, seed: int = 0,
                     names: tuple[str, str] = ("A", "B")) -> Comparison:
    """Paired bootstrap on the difference ``metric(B) - metric(A)`` over the same items.

    The p-value is two-sided, from the resampled differences shifted to the null
    hypothesis of no difference (``(count + 1) / (B + 1)``)."""
    if S_a.shape[0] != S_b.shape[0]:
        raise ValueError("paired comparison needs the same items for both candidates")
    n = len(S_a)
    if W is None:
        W = bootstrap_counts(n, n_boot, seed)
    a0 = float(reducer(S_a.sum(axis=0), float(n))[metric])
    b0 = float(reducer(S_b.sum(axis=0), float(n))[metric])
    N = W.totals()
    both = W @ np.hstack([S_a, S_b])  # one pass over the resamples for the pair
    da = reducer(both[:, : S_a.shape[1]], N)[metric]
    db = reducer(both[:, S_a.shape[1] :], N)[metric]
    diff = db - da
    observed = b0 - a0
    B = len(W)
    extreme = int((np.abs(diff - observed) >= abs(observed) - 1e-12).sum())
    p = (extreme + 1) / (B + 1) if observed != 0 else 1.0
    lo, hi = interval(diff)
    return Comparison(a=names[0], b=names[1], metric=metric, a_value=a0, b_value=b0,
                      difference=observed, low=lo, high=hi, p_value=min(1.0, p), n_boot=B)


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> dict[str, Any]:
    """McNemar's test on paired right/wrong outcomes. Exact (binomial) when fewer than
    25 discordant pairs, otherwise chi-squared with continuity correction."""
    from scipy import stats

    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    only_a = int((a & ~b).sum())  # A right, B wrong
    only_b = int((~a & b).sum())  # A wrong, B right
    m = only_a + only_b
    if m == 0:
        return {"only_a_right": 0, "only_b_right": 0, "method": "none", "statistic": 0.0,
                "p_value": 1.0}
    if m < 25:
        p = float(stats.binomtest(only_b, m, 0.5).pvalue)
        return {"only_a_right": only_a, "only_b_right": only_b, "method": "exact",
                "statistic": float(min(only_a, only_b)), "p_value": min(1.0, p)}
    chi2 = (abs(only_a - only_b) - 1) ** 2 / m
    p = float(stats.chi2.sf(chi2, 1))
    return {"only_a_right": only_a, "only_b_right": only_b, "method": "chi2-continuity",
            "statistic": float(chi2), "p_value": p}


# -- slices ------------------------------------------------------------------------
def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given)."""
    m = len(pvalues)
    order = np.argsort(pvalues)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * pvalues[i])
        adjusted[i] = min(1.0, running)
    return adjusted.tolist()


def _random_subset_sums(S: np.ndarray, m: int, draws: int, rng: np.random.Generator,
                        distinct: tuple[np.ndarray, np.ndarray] | None = None,
                        chunk_cells: int = 4_000_000) -> np.ndarray:
    """Summed statistics of ``draws`` random sets of ``m`` distinct items of all items
    (without replacement: the permutation null for "a slice of this size", which is
    which ``m`` items carry the slice's value), in chunks. ``distinct``:
    ``np.unique(S, axis=0, return_counts=True)``, computed once."""
    n, d = S.shape
    if not 0 <= m <= n:
        raise ValueError(f"a subset of {m} items of {n}")
    rows, counts = distinct if distinct is not None else np.unique(S, axis=0, return_counts=True)
    if len(rows) * 4 <= n:
        # few distinct rows (single-label: one per (truth, prediction) pair): m items
        # drawn without replacement is a multivariate hypergeometric draw over them
        return rng.multivariate_hypergeometric(counts.astype(np.int64), m,
                                               size=draws).astype(np.float64) @ rows
    out = np.empty((draws, d))
    step = max(1, chunk_cells // max(1, n))
    for lo in range(0, draws, step):
        hi = min(draws, lo + step)
        # the m smallest of n random keys: m distinct items, uniformly
        keys = rng.random((hi - lo, n))
        idx = np.argpartition(keys, m - 1, axis=1)[:, :m] if m < n else \
            np.broadcast_to(np.arange(n), (hi - lo, n))
        out[lo:hi] = S[idx].sum(axis=1)
    return out


def slice_metrics(S: np.ndarray, reducer: Reducer, metric: str, values: Sequence[Any], *,
                  min_size: int = 20, n_perm: int = 1000, seed: int = 0, alpha: float = ALPHA,
                  n_boot: int = 1000) -> list[dict[str, Any]]:
    """The metric per slice (items sharing a value), each with a bootstrap interval,
    and a one-sided permutation test of "this slice is worse than random sets of the
    same size drawn, without replacement, from the whole test set" (``n_perm``
    permutations). p-values are Holm-adjusted over the tested slices; slices with fewer
    than ``min_size`` items are shown but not tested."""
    n = len(S)
    overall = float(reducer(S.sum(axis=0), float(n))[metric])
    keys = [("(none)" if v is None or v == "" else str(v)) for v in values]
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    rng = np.random.default_rng(seed)
    rows = []
    distinct: tuple[np.ndarray, np.ndarray] | None = None
    for key, idx in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        ix = np.asarray(idx)
        m = len(ix)
        value = float(reducer(S[ix].sum(axis=0), float(m))[metric])
        row: dict[str, Any] = {"value": key, "items": m, metric: value,
                               "difference": value - overall}
        Ws = Resamples(m, n_boot, seed)  # resampling within the slice
        boot = reducer(Ws @ S[ix], Ws.totals())[metric]
        row["low"], row["high"] = interval(boot)
        if m >= min_size and m < n:
            if distinct is None:
                distinct = np.unique(S, axis=0, return_counts=True)
            random_values = reducer(_random_subset_sums(S, m, n_perm, rng, distinct),
                                    float(m))[metric]
            row["p_raw"] = float(((random_values <= value + 1e-12).sum() + 1) / (n_perm + 1))
        rows.append(row)
    tested = [r for r in rows if "p_raw" in r]
    for r, p in zip(tested, holm([r["p_raw"] for r in tested]), strict=True):
        r["p_value"] = p
        r["worse"] = bool(p < alpha and r["difference"] < 0)
    for r in rows:
        if "p_raw" not in r:
            r["p_value"] = None
            r["worse"] = None
            r["note"] = (f"fewer than {min_size} items: too few to judge" if r["items"] < min_size
                         else "the whole test set")
    return rows
