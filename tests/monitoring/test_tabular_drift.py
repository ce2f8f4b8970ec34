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
    _fmt,
    js_distance,
    ks_distance,
    location_shift,
    signed_location_shift,
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


def test_numbers_in_words_and_years_without_a_separator():
    assert _fmt(2017.0) == "2,017" and _fmt(2017.0, year=True) == "2017"
    assert _fmt(0.4213) == "0.42" and _fmt(0.4213, year=True) == "0.42"
    assert _fmt(125000.0, year=True) == "125,000"  # not a year: a separator again


# -- ranking, groups, season, scale ---------------------------------------------------------------
def test_the_flagged_column_that_moved_furthest_is_the_cause():
    """A column that hardly ever varies (repeat guests) can be more unusual in z than the
    lead time that moved by months; the cause is the one that moved furthest."""
    from glamlab.monitoring.tabular import ColumnDrift, WindowDrift, rank

    cols = rank([ColumnDrift("quiet", "number", 0.2, 2.0, 0.1, False, "", 0.1),
                 ColumnDrift("is_repeated_guest", "number", 0.12, 12.0, 0.01, True, "", 0.11),
                 ColumnDrift("lead_time", "number", 0.9, 11.0, 0.1, True, "", 0.8),
                 ColumnDrift("prediction", "prediction", 0.9, 20.0, 0.1, True, "", 0.8)])
    assert [c.column for c in cols] == ["lead_time", "prediction", "is_repeated_guest", "quiet"]
    res = WindowDrift(100, "2017-01-01", "2017-01-02", "x", 100, 3.0, cols)
    assert res.root_cause == "lead_time"
    assert res.to_dict()["columns"][0]["effect"] == pytest.approx(0.8)


def test_each_hotel_is_compared_with_the_same_hotel(fitted):
    """A window of one hotel's bookings against weeks of both: compared hotel by hotel,
    the other columns (countries, agents, meals) barely move; only the hotel column does."""
    mon, train, test = fitted
    pooled = TabularDriftMonitor(bookings.schema(),
                                 DriftConfig(min_reference=50, strata="")).fit(train)
    assert mon.strata_ == "hotel" and pooled.strata_ is None
    one = test[test["hotel"] == "City Hotel"].iloc[100 : 100 + N].reset_index(drop=True)
    by_group, together = _check(mon, one), _check(pooled, one)
    effect = {c.column: c.effect for c in by_group.columns}
    effect_pooled = {c.column: c.effect for c in together.columns}
    others = ["country", "agent", "market_segment", "meal"]
    assert sum(effect[c] for c in others) < sum(effect_pooled[c] for c in others)
    assert effect["hotel"] == pytest.approx(effect_pooled["hotel"])
    with pytest.raises(GlamlabError, match="lead_time"):
        TabularDriftMonitor(bookings.schema(), DriftConfig(strata="lead_time")).fit(train)


def _seasonal_table(rise_2017: float = 0.0):
    """Three years of daily rows; ``x`` rises by 1 every spring (15 March to 15 May) and
    ``rise_2017`` more in the spring of 2017."""
    import pandas as pd

    from glamlab.ingest.columns import infer_schema, prepare

    rng = np.random.default_rng(0)
    days = pd.date_range("2015-01-01", "2017-06-30", freq="D").repeat(12)
    doy = days.day_of_year.to_numpy()
    spring = (doy >= 74) & (doy <= 135)
    x = rng.normal(size=len(days)) + spring + rise_2017 * (spring & (days.year == 2017))
    table = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "x": x.round(3),
                          "g": rng.choice(["a", "b"], len(days)),
                          "y": (rng.random(len(days)) < 0.3).astype(int)})
    schema = infer_schema(table, time_column="day", label_column="y")
    return schema, prepare(table, schema)


@pytest.mark.parametrize("rise", [0.0, 1.5])
def test_the_season_is_told_from_a_change(rise):
    """Every spring x rises: against the weeks before it, a spring window of 2017 has
    moved, but no further than the same weeks of 2016 did; a further rise is a change."""
    schema, frame = _seasonal_table(rise)
    train = frame[frame["day"] < "2017-01-01"].reset_index(drop=True)
    t = frame["day"]
    window = frame[(t >= "2017-03-16") & (t < "2017-03-26")].reset_index(drop=True)
    before = frame[(t >= "2017-02-16") & (t < "2017-03-16")].reset_index(drop=True)
    seasonal = TabularDriftMonitor(schema, DriftConfig(seed=0)).fit(train)
    plain = TabularDriftMonitor(schema, DriftConfig(seed=0, season=False)).fit(train)
    assert seasonal.season_ and not plain.season_
    rows = seasonal._seasonal_rows(window["day"].to_numpy(), None)
    assert rows is not None
    w, r = rows
    times = seasonal.times_
    assert str(times[w].min())[:10] == "2016-03-16" and str(times[r].max())[:10] == "2016-03-15"
    # the location shift of x, plain and less the shift of the same weeks of 2016
    k, j = len(seasonal.columns_), [c for c, _ in seasonal.columns_].index("x")
    ref, cur = seasonal._window_values(before, None), seasonal._window_values(window, None)
    raw = seasonal._adjusted(ref, cur, None)[k + j]
    adjusted = seasonal._adjusted(ref, cur, rows)[k + j]
    assert raw > 0.2
    res = seasonal.check(window, before=frame)
    if rise:
        assert adjusted > 0.12
        assert res.root_cause == "x" and "median" in res.causes[0].words
    else:
        assert adjusted < 0.08
        assert not res.flagged
    assert plain.check(window, before=frame).reference == "the 28 days before"


def test_scales_and_signs():
    train, _ = bookings.split()
    lin = TabularDriftMonitor(bookings.schema(), DriftConfig(min_reference=50, scale="linear")
                              ).fit(train)
    mean, sd, _, _ = lin.calibrate(N)
    stats = lin.replayed_[N]
    assert np.allclose(lin.z_scores(stats, N), (stats - mean) / sd)
    with pytest.raises(GlamlabError, match="scale"):
        DriftConfig.from_card({"scale": "sqrt"})
    a = np.sort(np.arange(100.0))
    assert signed_location_shift(a, a + 1000) == pytest.approx(0.5)
    assert signed_location_shift(a, a - 1000) == pytest.approx(-0.5)


def test_the_threshold_reads_the_tail_of_the_largest_score():
    from glamlab.monitoring.tabular import gumbel_quantile

    rng = np.random.default_rng(0)
    true = 2.0 - 0.5 * np.log(-np.log(0.99))
    assert gumbel_quantile(rng.gumbel(2.0, 0.5, 20_000), 0.99) == pytest.approx(true, abs=0.05)
    # from 50 windows the plain 99th percentile is about their maximum, too low on average
    fits, plain = [], []
    for _ in range(200):
        v = rng.gumbel(2.0, 0.5, 50)
        fits.append(gumbel_quantile(v, 0.99))
        plain.append(np.quantile(v, 0.99))
    assert abs(np.mean(fits) - true) < abs(np.mean(plain) - true)


def test_a_table_too_small_to_replay_is_told_a_setting_that_works():
    """Too few training windows to learn the usual variation: the hint used to offer
    min_reference = max(20, min_reference // 4) whatever it gave, so a card with
    min_reference = 20 was told to set min_reference = 20, and following the advice from
    the default card led to the same error again. Now each setting is tried (index
    look-ups) before it is offered, and the first one offered works."""
    train, _ = bookings.split()
    small = TabularDriftMonitor(bookings.schema(), DriftConfig(min_reference=20, seed=0)).fit(train)
    with pytest.raises(GlamlabError) as exc:
        small.calibrate(300)
    hint = exc.value.hint
    assert "min_reference = 20" not in hint
    assert hint.index("season = false") < hint.index("--window week")
    assert TabularDriftMonitor(bookings.schema(), DriftConfig(
        min_reference=20, season=False, seed=0)).fit(train).calibrate(300)[3] >= 10
    default = TabularDriftMonitor(bookings.schema(), DriftConfig(seed=0)).fit(train)
    with pytest.raises(GlamlabError) as exc:
        default.calibrate(100)
    first = exc.value.hint.split(": ", 1)[1].split(" (")[0]
    assert first == "min_reference = 50"
    assert TabularDriftMonitor(bookings.schema(), DriftConfig(
        min_reference=50, seed=0)).fit(train).calibrate(100)[3] >= 10
    # nothing on the card helps windows this long: only shorter windows or more history
    with pytest.raises(GlamlabError) as exc:
        small.calibrate(400)
    assert exc.value.hint.startswith("monitor shorter windows") and "1,980 training rows" in (
        exc.value.hint)
