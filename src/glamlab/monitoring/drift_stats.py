"""Drift statistics: small functions, each checked on known cases in the tests.

Raw p-values are not used as alarms on their own (with enough data every difference is
"significant"); :mod:`.monitor` calibrates thresholds on the reference period's own
variability. The p-values here are reported for context.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


def domain_classifier_auc(ref: np.ndarray, cur: np.ndarray, *, seed: int = 0,
                          folds: int = 5) -> float:
    """How well a classifier tells the reference from the current window (ROC AUC,
    cross-validated). 0.5 means indistinguishable; near 1.0 means a clear shift.

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
    X = np.vstack([a, b])
    y = np.r_[np.zeros(len(a)), np.ones(len(b))]
    scores = np.zeros(len(y))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in cv.split(X, y):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=0.5))
        clf.fit(X[train], y[train])
        scores[test] = clf.predict_proba(X[test])[:, 1]
    auc = float(roc_auc_score(y, scores))
    return max(auc, 1.0 - auc) if auc < 0.5 else auc


def rate(flags: Sequence[bool] | np.ndarray) -> float:
    arr = np.asarray(flags, dtype=float)
    return float(arr.mean()) if len(arr) else float("nan")
