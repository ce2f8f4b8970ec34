from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from glamlab.monitoring import drift_stats


def test_js_identical_is_zero_and_disjoint_is_one():
    a = Counter({"x": 10, "y": 30})
    assert drift_stats.jensen_shannon(a, a) == pytest.approx(0.0, abs=1e-12)
    assert drift_stats.jensen_shannon(Counter({"x": 5}), Counter({"y": 5})) == pytest.approx(1.0)


def test_js_matches_scipy():
    ref = Counter({"a": 10, "b": 20, "c": 70})
    cur = Counter({"a": 30, "b": 30, "c": 40})
    expected = jensenshannon([0.1, 0.2, 0.7], [0.3, 0.3, 0.4], base=2)
    assert drift_stats.jensen_shannon(ref, cur) == pytest.approx(expected)


def test_chi2_known_table():
    # 2x2 table [[10, 20], [20, 10]]: chi2 = 6.667 without continuity correction
    res = drift_stats.chi2_homogeneity(Counter({"a": 10, "b": 20}), Counter({"a": 20, "b": 10}))
    assert res.statistic == pytest.approx(6.6667, rel=1e-3)
    assert res.dof == 1
    assert res.p_value == pytest.approx(0.00982, rel=1e-2)


def test_chi2_handles_unseen_category():
    res = drift_stats.chi2_homogeneity(Counter({"a": 50, "b": 50}), Counter({"a": 40, "b": 40, "new": 20}))
    assert res.unseen == ["new"]
    assert res.dof == 2
    assert np.isfinite(res.statistic) and res.p_value < 1e-3


def test_ks_and_wasserstein_known():
    ref = np.zeros(100)
    cur = np.ones(100)
    d, p = drift_stats.ks(ref, cur)
    assert d == pytest.approx(1.0)
    assert p < 1e-10
    assert drift_stats.wasserstein(ref, cur) == pytest.approx(1.0)
    assert drift_stats.wasserstein([0, 1, 2], [0, 1, 2]) == pytest.approx(0.0)


def test_domain_classifier_separates_shift_and_not_noise():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(200, 5))
    same = rng.normal(size=(200, 5))
    shifted = rng.normal(loc=1.5, size=(200, 5))
    assert drift_stats.domain_classifier_auc(ref, shifted) > 0.9
    assert drift_stats.domain_classifier_auc(ref, same) < 0.65


def test_domain_classifier_fits_on_a_capped_sample(monkeypatch):
    """Windows of thousands: each side is sampled down (fixed seed) before the
    cross-validated fits, and the AUC stays within its standard error of the full one."""
    import sklearn.linear_model

    fitted: list[int] = []

    class Recording(sklearn.linear_model.LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            fitted.append(len(X))
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(sklearn.linear_model, "LogisticRegression", Recording)
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(3000, 6))
    cur = rng.normal(loc=0.15, size=(3000, 6))
    capped = drift_stats.domain_classifier_auc(ref, cur)
    assert len(fitted) == 5 and max(fitted) <= 2 * 1000 * 4 // 5, fitted
    assert capped == drift_stats.domain_classifier_auc(ref, cur)  # the same sample each time
    full = drift_stats.domain_classifier_auc(ref, cur, max_rows=None)
    se = drift_stats.auc_standard_error(full, 1000, 1000)
    assert abs(capped - full) < 3 * se, (capped, full, se)


def test_domain_classifier_fits_on_one_blas_thread(monkeypatch):
    """The fits are small: a BLAS pool of several threads only slows them (waking its
    threads at each step), so they run on one."""
    import sklearn.linear_model
    from threadpoolctl import threadpool_info, threadpool_limits

    threads: list[int] = []

    class Recording(sklearn.linear_model.LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            threads.extend(p["num_threads"] for p in threadpool_info()
                           if p["user_api"] == "blas")
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(sklearn.linear_model, "LogisticRegression", Recording)
    rng = np.random.default_rng(0)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a machine of 2 cores or more
        drift_stats.domain_classifier_auc(rng.normal(size=(60, 4)), rng.normal(size=(60, 4)))
    assert threads and set(threads) == {1}, threads


def test_auc_standard_error_hanley_mcneil():
    # AUC 0.5, 1,000 a side: Q1 = Q2 = 1/3, var = (1/4 + 2 * 999 / 12) / 1e6
    assert drift_stats.auc_standard_error(0.5, 1000, 1000) == pytest.approx(
        np.sqrt((0.25 + 2 * 999 / 12) / 1e6))
    assert drift_stats.auc_standard_error(0.9, 1000, 1000) < drift_stats.auc_standard_error(
        0.5, 1000, 1000)
