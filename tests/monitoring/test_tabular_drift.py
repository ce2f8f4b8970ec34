"""Tabular drift on real bookings: thresholds learned from the training period's own
windows; a staged shift (people book days ahead instead of months) is flagged with its
column first and in plain words."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from glamlab.errors import GlamlabError, NotFittedError
from glamlab.monitoring.tabular import (
    DriftConfig,
    TabularDriftMonitor,
    _circular_span,
    js_distance,
    ks_distance,
    location_shift,
)
from glamlab.reports.plots import drift_chart
from tests import bookings

N = 100


@pytest.fixture(scope="module")
def fitted():
    train, test = bookings.split()
    cfg = DriftConfig(min_reference=50, seed=0)
    mon = TabularDriftMonitor(bookings.schema(), cfg).fit(train)
    return mon, train, test


def _check(mon, window, **kw):
    """A 2017 window against the rows that arrived in the 28 days before it."""
    return mon.check(window, before=bookings.frame(), **kw)


def _short_lead(test, start, rng):
    """The window's bookings replaced by real 2017 bookings made at most 7 days ahead."""
    window = test.iloc[start : start + N]
    pool = test[test["lead_time"] <= 7]
    out = pool.iloc[rng.integers(0, len(pool), N)].copy()
    out["arrival_date"] = window["arrival_date"].to_numpy()
    return out.reset_index(drop=True)


def test_a_shift_in_lead_time_is_flagged_with_its_cause(fitted):
    mon, _, test = fitted
    rng = np.random.default_rng(0)
    res = _check(mon, _short_lead(test, 300, rng))
    assert res.flagged
    assert res.root_cause == "lead_time"
    words = res.causes[0].words
    assert words.startswith("lead_time: median") and "days" in words
    assert "Most likely cause: lead_time" in res.summary()
    d = res.to_dict()
    assert d["flagged"] and d["root_cause"] == "lead_time" and d["columns"][0]["z"] > d["threshold"]
    assert 'data-plot="bar"' in drift_chart(res)


def test_a_new_channel_is_named(fitted):
    mon, _, test = fitted
    window = test.iloc[200 : 200 + N].copy()
    window.loc[window.index[::2], "distribution_channel"] = "App"
    res = _check(mon, window)
    assert res.root_cause == "distribution_channel"
    assert "never seen in training" in res.causes[0].words


def test_windows_as_they_happened_are_mostly_quiet(fitted):
    """2017 as it happened, judged against the weeks before each window: most windows
    are not flagged (the threshold allows about alpha of the training windows)."""
    mon, _, test = fitted
    flags = [_check(mon, test.iloc[s : s + N]).flagged for s in range(0, len(test) - N, N)]
    assert np.mean(flags) <= 0.3


def test_the_references(fitted):
    mon, train, test = fitted
    res = _check(mon, test.iloc[200 : 200 + N])
    assert res.reference == "the 28 days before" and 50 <= res.reference_rows <= 200
    # right after the training period, the training rows are the weeks before
    assert mon.check(test.iloc[:N]).reference == "the 28 days before"
    with pytest.raises(GlamlabError, match="reference rows"):
        mon.check(test.iloc[400 : 400 + N])  # the weeks before are not given
    season = TabularDriftMonitor(bookings.schema(),
                                 DriftConfig(reference="season", min_reference=50)).fit(train)
    assert season.check(test.iloc[:N]).reference == "the same weeks of 2016"
    every = TabularDriftMonitor(bookings.schema(),
                                DriftConfig(reference="all", min_reference=50)).fit(train)
    assert every.check(test.iloc[:N]).reference == "the training period"


def test_calibration_comes_from_training_windows_only(fitted):
    mon, train, _ = fitted
    mean, sd, threshold, windows = mon.calibrate(N)
    assert windows >= 10 and threshold >= mon.config.sigma
    assert mean.shape == sd.shape == (2 * len(mon.columns_),)  # distance, location
    assert mon.calibrate(N)[2] == threshold  # cached


def test_predictions_are_a_signal_but_never_the_cause():
    train, test = bookings.split()
    rng = np.random.default_rng(1)
    scores = rng.random(len(train))
    mon = TabularDriftMonitor(bookings.schema(), DriftConfig(min_reference=50)).fit(train, scores)
    res = mon.check(test.iloc[:N], np.full(N, 0.99))
    assert res.columns[0].column == "prediction" and res.columns[0].flagged
    assert res.root_cause != "prediction"
    with pytest.raises(GlamlabError, match="no predictions"):
        mon.check(test.iloc[:N])


def test_errors(fitted):
    mon, _, test = fitted
    with pytest.raises(NotFittedError):
        TabularDriftMonitor(bookings.schema()).check(test.iloc[:N])
    with pytest.raises(GlamlabError, match="too small"):
        mon.check(test.iloc[:10])
    with pytest.raises(GlamlabError) as exc:
        mon.check(test.iloc[:N].drop(columns=["lead_time"]))
    assert "lead_time" in str(exc.value)
    with pytest.raises(GlamlabError, match="reference"):
        DriftConfig.from_card({"reference": "month"})


def test_statistics_on_known_cases():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(0.5, size=300)
    assert ks_distance(np.sort(a), b) == pytest.approx(ks_2samp(a, b).statistic)
    assert location_shift(np.sort(a), a) == pytest.approx(0.0, abs=1e-9)
    assert location_shift(np.sort(a), a + 100) == pytest.approx(0.5)
    # a clump of equal values far out moves KS more than the location
    clump = np.r_[a[:150], np.full(150, 3.0)]
    assert ks_distance(np.sort(a), clump) > location_shift(np.sort(a), clump)
    assert js_distance(np.array([5.0, 5.0]), np.array([5.0, 5.0])) == 0.0
    assert js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    # a span of days across New Year: centre on 1 January, half-width 5 days
    centre, half = _circular_span(np.array([360, 361, 362, 363, 364, 365, 1, 2, 3, 4, 5]))
    assert half == pytest.approx(5.0) and (centre < 3 or centre > 362)
