"""Extra places per slot for a chosen risk of being over capacity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from glamlab.actions.capacity import extra_places, no_show_distribution, plan, replay
from glamlab.errors import PolicyError
from glamlab.predictors.tabular import TabularGBM
from tests import bookings


def test_no_show_distribution_is_poisson_binomial():
    pmf = no_show_distribution(np.full(30, 0.2))
    assert pmf.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(pmf, binom.pmf(np.arange(31), 30, 0.2), atol=1e-12)


def test_extra_places_respects_the_risk():
    p = np.full(100, 0.3)  # 30 no-shows expected
    k5 = extra_places(p, 0.05)
    k20 = extra_places(p, 0.2)
    assert 0 < k5 < k20 < 30
    # P(no-shows < k) <= risk, and k + 1 would pass it
    assert binom.cdf(k5 - 1, 100, 0.3) <= 0.05 < binom.cdf(k5, 100, 0.3)
    assert extra_places(np.zeros(50), 0.05) == 0
    with pytest.raises(PolicyError):
        extra_places(p, 1.5)


def test_plan_and_replay_on_real_bookings():
    train, test = bookings.split()
    schema = bookings.schema()
    p = TabularGBM(schema.to_card(), max_iter=60, threads=1).fit_table(train).predict_table(test)
    slots = plan(test, schema, p, risk=0.1, group_by=["hotel"], freq="W")
    assert set(slots.columns) >= {"period", "hotel", "bookings", "extra", "no_shows"}
    assert slots["bookings"].sum() == len(test)
    assert (slots["extra"] <= slots["bookings"]).all()
    r = replay(slots, risk=0.1, price=100, over_cost=300)
    over = np.maximum(0, slots["extra"] - slots["no_shows"])
    assert r.earned == 100 * slots["extra"].sum() and r.cost == 300 * over.sum()
    assert r.over_capacity_slots == int((over > 0).sum())
    assert r.to_dict()["net"] == pytest.approx(r.earned - r.cost)
    assert "extra places" in r.summary()
    with pytest.raises(PolicyError, match="outcomes"):
        replay(slots.drop(columns=["no_shows"]), risk=0.1, price=1, over_cost=1)
