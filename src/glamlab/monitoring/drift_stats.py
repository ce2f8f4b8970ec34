"""Drift statistics: small functions, each checked on known cases in the tests.

Raw p-values are not used as alarms on their own (with enough data every difference is
"significant"); :mod:`.monitor` calibrates thresholds on the reference period's own
variability. The p-values here are reported for context.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Chi2Result:
    statistic: float
    p_value: float
    dof: int
    categories: list[str]
    unseen: list[str]  # categories present in the current window but never in the reference


def category_counts(values: Iterable[str]) -> Counter[str]:
    return Counter(values)


def _aligned(ref: Counter[str], cur: Counter[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    cats = sorted(set(ref) | set(cur))
    return (cats, np.array([ref.get(c, 0) for c in cats], dtype=float),
            np.array([cur.get(c, 0) for c in cats], dtype=float))


def jensen_shannon(ref: Counter[str], cur: Counter[str]) -> float:
    """Jensen–Shannon distance (base 2, in [0, 1]) between two label mixes.

    Categories unseen on one side count as probability zero there, which JS handles
    (unlike KL divergence)."""
    _cats, p, q = _aligned(ref, cur)
    if p.sum() == 0 or q.sum() == 0:
        return float("nan")
    p = p / p.sum()
    q = q / q.sum()
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))

    return float(np.sqrt(max(0.0, 0.5 * kl(p, m) + 0.5 * kl(q, m))))


def chi2_homogeneity(ref: Counter[str], cur: Counter[str]) -> Chi2Result:
    """Chi-square test that two windows share one label distribution.

    Handles categories unseen in the reference: they enter the contingency table with a
    zero reference count (the expected counts stay positive because the pooled column is
    positive). Categories absent from both are dropped."""
    from scipy.stats import chi2_contingency

    cats, r, c = _aligned(ref, cur)
    keep = (r + c) > 0
    cats = [k for k, m in zip(cats, keep, strict=True) if m]
    table = np.vstack([r[keep], c[keep]])
    unseen = [k for k in cats if ref.get(k, 0) == 0]
    if table.shape[1] < 2 or table[0].sum() == 0 or table[1].sum() == 0:
        return Chi2Result(0.0, 1.0, 0, cats, unseen)
    stat, p, dof, _ = chi2_contingency(table, correction=False)
    return Chi2Result(float(stat), float(p), int(dof), cats, unseen)


def ks(ref: Sequence[float] | np.ndarray, cur: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov statistic and p-value."""
    from scipy.stats import ks_2samp

    a = np.asarray(ref, dtype=float)
    b = np.asarray(cur, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan")
    res = ks_2samp(a, b)
    return float(res.statistic), float(res.pvalue)


def wasserstein(ref: Sequence[float] | np.ndarray, cur: Sequence[float] | np.ndarray) -> float:
    from scipy.stats import wasserstein_distance

    a = np.asarray(ref, dtype=float)
    b = np.asarray(cur, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    return float(wasserstein_distance(a, b))


#: the most rows of each side a domain classifier sees: a fixed-seed sample of larger
#: windows. At 1,000 rows a side the AUC's standard error (Hanley & McNeil 1982) is about
#: 0.013 near 0.5 (no drift) and smaller further from it, well under the alert thresholds'
#: margin over chance; more rows cost fits, not honesty (benchmarks and
#: tests/monitoring/test_drift_stats.py).
DOMAIN_MAX_ROWS = 1000


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil's (1982) standard error of a ROC AUC from ``n_pos`` and ``n_neg``
    cases."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc)
           + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def _cap_rows(x: np.ndarray, cap: int | None, rng: np.random.Generator) -> np.ndarray:
    if cap is None or len(x) <= cap:
        return x
    return x[np.sort(rng.choice(len(x), size=cap, replace=False))]


def _one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it the pool keeps its size
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def domain_classifier_auc(ref: np.ndarray, cur: np.ndarray, *, seed: int = 0,
                          folds: int = 5, max_rows: int | None = DOMAIN_MAX_ROWS) -> float:
    """How well a classifier tells the reference from the current window (ROC AUC,
    cross-validated). 0.5 means indistinguishable; near 1.0 means a clear shift.

    A side with more than ``max_rows`` rows is sampled down to that many (fixed seed,
    :data:`DOMAIN_MAX_ROWS`; None: all): the AUC's error at that size is small
    (:func:`auc_standard_error`) and the fits stay quick on windows of thousands.

    Used for multivariate inputs such as embeddings and page statistics."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    a = np.asarray(ref, dtype=float)
    b = np.asarray(cur, dtype=float)
    if len(a) < folds or len(b) < folds:
        return float("nan")
    rng = np.random.default_rng(seed)
    a = _cap_rows(a, max_rows, rng)
    b = _cap_rows(b, max_rows, rng)
    X = np.vstack([a, b])
    y = np.r_[np.zeros(len(a)), np.ones(len(b))]
    scores = np.zeros(len(y))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # one BLAS thread: these fits are small (at most 2 * max_rows rows), and a BLAS pool
    # of several threads spends most of each L-BFGS step waking its threads (0.58 s a fit
    # instead of 0.015 s on 90 pages of 70 page statistics, 2 cores)
    with _one_blas_thread():
        for train, test in cv.split(X, y):
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=0.5))
            clf.fit(X[train], y[train])
            scores[test] = clf.predict_proba(X[test])[:, 1]
    auc = float(roc_auc_score(y, scores))
    return max(auc, 1.0 - auc) if auc < 0.5 else auc


def rate(flags: Sequence[bool] | np.ndarray) -> float:
    arr = np.asarray(flags, dtype=float)
    return float(arr.mean()) if len(arr) else float("nan")
