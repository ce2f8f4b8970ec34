"""Performance before the outcomes: confidence-based estimation and its trust check."""

from __future__ import annotations

import re

import numpy as np
import pytest

from glamlab.monitoring.estimate import (
    PerformanceEstimate,
    RangeCheck,
    estimate,
    estimate_count_mae,
    estimate_f1,
    realised_f1,
)
from glamlab.predictors.tabular import TabularGBM
from tests import bookings


def test_estimate_matches_realised_when_outcomes_follow_the_probabilities():
    # a property of the method: outcomes drawn from calibrated probabilities
    rng = np.random.default_rng(0)
    errors, inside = [], []
    for _ in range(30):
        p = rng.beta(0.8, 1.2, 1000)
        y = (rng.random(1000) < p).astype(float)
        value, lo, hi = estimate_f1(p, draws=300)
        real = realised_f1(y, p)
        errors.append(abs(value - real))
        inside.append(lo <= real <= hi)
    assert np.mean(errors) < 0.02
    assert np.mean(inside) >= 0.8


def test_count_mae_estimate():
    rng = np.random.default_rng(1)
    p = rng.random(2000) * 0.6
    groups = np.repeat(np.arange(100), 20)
    value, lo, hi = estimate_count_mae(p, groups, draws=300)
    real = []
    for _ in range(200):
        y = (rng.random(2000) < p).astype(float)
        real.append(np.abs(np.bincount(groups, weights=y) - np.bincount(groups, weights=p)).mean())
    assert value == pytest.approx(np.mean(real), rel=0.05)
    assert lo < value < hi


def test_on_real_bookings_with_the_trust_check():
    train, test = bookings.split()
    schema = bookings.schema()
    model = TabularGBM(schema.to_card(), max_iter=60, threads=1).fit_table(train)
    check = RangeCheck(schema).fit(train)
    window = test.iloc[:300]
    p = model.predict_table(window)
    est = estimate(p, window, check)
    assert est.trusted and est.realised is not None
    assert 0 <= est.low <= est.value <= est.high <= 1
    assert est.to_dict()["realised"] == pytest.approx(est.realised, abs=1e-4)
    # a new channel the model never saw: the estimate is not to be trusted, and says why
    shifted = window.copy()
    shifted.loc[shifted.index[::2], "distribution_channel"] = "App"
    bad = estimate(model.predict_table(shifted), shifted, check)
    assert not bad.trusted
    # the column and its share, in words (before: "more than 10% in
    # distribution_channel 50%", a number after a column name that read as one name)
    assert re.search(r"; the column with more than 10% of the rows outside it: "
                     r"distribution_channel \(5\d%\)$", bad.reasons[0]), bad.reasons[0]
    assert "Not to be trusted" in bad.summary()
    # prices beyond anything in training too
    dear = window.assign(adr=window["adr"] + 10_000)
    assert not estimate(model.predict_table(dear), dear, check).trusted


def test_the_text_prints_the_figure_json_and_the_web_page_carry():
    """The web page prints the estimate from the JSON, rounded to 4 places; the text
    printed the unrounded one: 0.70749 read 0.707 in `glamlab monitor` and 0.708 on the
    page (0.7075 in --json). Every surface now prints the same figure."""
    e = PerformanceEstimate("mae", 0.707496, 0.580812, 0.869249, 304, realised=0.650749)
    d = e.to_dict()
    assert (f"estimated mae {d['estimate']:.3f} [{d['low']:.3f}, {d['high']:.3f}]"
            in e.summary())
    assert f"realised {d['realised']:.3f}" in e.summary()
