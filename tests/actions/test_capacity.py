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


def test_the_summary_counts_in_words():
    from glamlab.actions.capacity import CapacityReplay

    one = CapacityReplay(risk=0.05, slots=1, extra_sold=1, no_shows=0, over_capacity_slots=1,
                         people_over=1, earned=100.0, cost=300.0).summary()
    assert "1 extra place over 1 slot " in one and "; 1 slot (100.0%)" in one
    assert "by 1 person in all" in one
    many = CapacityReplay(risk=0.05, slots=30, extra_sold=12, no_shows=9, over_capacity_slots=2,
                          people_over=3, earned=1200.0, cost=900.0).summary()
    assert "12 extra places over 30 slots" in many and "by 3 people in all" in many


def _biased_bookings(n_days: int, seed: int, true_p: float = 0.2, said_p: float = 0.4):
    """Days of 40 bookings each whose model says ``said_p`` while ``true_p`` happens."""
    import pandas as pd

    from glamlab.ingest.columns import TableSchema

    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", periods=n_days, freq="D").repeat(40)
    frame = pd.DataFrame({"when": days, "y": (rng.random(len(days)) < true_p).astype(float)})
    schema = TableSchema(time_column="when", label_column="y", columns={})
    return frame, schema, np.full(len(frame), said_p)


def test_calibration_keeps_the_risk_when_the_model_is_biased():
    from glamlab.actions.capacity import calibration_from

    frame, schema, p = _biased_bookings(400, seed=1)
    history, later = frame.iloc[:60 * 40], frame.iloc[60 * 40:]
    raw = replay(plan(later, schema, p[len(history):], risk=0.05), risk=0.05, price=1,
                 over_cost=1)
    assert raw.over_capacity_slots / raw.slots > 0.5  # the model's word: over most days
    cal = calibration_from(history, schema, p[:len(history)], risk=0.05, window=60)
    assert len(cal.values) == 60 and cal.observed == 0
    slots = plan(later, schema, p[len(history):], risk=0.05, calibration=cal)
    r = replay(slots, risk=0.05, price=1, over_cost=1)
    # about 5% of 340 days over capacity (binomial 95% range ~ 8-26)
    assert 5 <= r.over_capacity_slots <= 30, r.to_dict()
    # and sells about what knowing the true chance would allow
    oracle = extra_places(np.full(40, 0.2), 0.05) * r.slots
    assert 0.8 * oracle <= r.extra_sold <= 1.2 * oracle, (r.extra_sold, oracle)
    assert cal.observed == r.slots and cal.over == r.over_capacity_slots


def test_calibration_without_history_sells_nothing_until_outcomes_come():
    from glamlab.actions.capacity import SlotCalibration

    frame, schema, p = _biased_bookings(30, seed=2)
    cal = SlotCalibration(0.05, window=60)
    slots = plan(frame, schema, p, risk=0.05, calibration=cal)
    # with few past days the 5% quantile cannot be told: nothing is sold (the level rises
    # a little with every day that was not over capacity, so selling starts a bit before 19)
    assert (slots["extra"].iloc[:15] == 0).all()
    assert slots["extra"].iloc[-5:].sum() > 0
    with pytest.raises(PolicyError, match="risk"):
        SlotCalibration(0.0)
    with pytest.raises(PolicyError, match="window"):
        SlotCalibration(0.05, window=1)


def test_a_day_uses_only_the_outcomes_of_earlier_days():
    """Planning a day must not see that day's own outcomes: the plan for day d is the
    same whatever happens on day d."""
    from glamlab.actions.capacity import calibration_from

    frame, schema, p = _biased_bookings(90, seed=3)
    history, later = frame.iloc[:60 * 40], frame.iloc[60 * 40:]
    a = plan(later, schema, p[len(history):], risk=0.1,
             calibration=calibration_from(history, schema, p[:len(history)], risk=0.1))
    changed = later.copy()
    last_day = changed["when"] == changed["when"].max()
    changed.loc[last_day, "y"] = 1.0 - changed.loc[last_day, "y"]
    b = plan(changed, schema, p[len(history):], risk=0.1,
             calibration=calibration_from(history, schema, p[:len(history)], risk=0.1))
    assert a["extra"].tolist() == b["extra"].tolist()
    assert a["no_shows"].iloc[-1] != b["no_shows"].iloc[-1]


def test_a_longer_lead_waits_for_the_outcomes():
    """With places sold a week ahead (lead 7), a day's plan may use only outcomes from a
    week before it: changing the last six days' outcomes changes nothing of the plan."""
    from glamlab.actions.capacity import calibration_from

    frame, schema, p = _biased_bookings(90, seed=4)
    history, later = frame.iloc[:60 * 40], frame.iloc[60 * 40:]

    def planned(f):
        cal = calibration_from(history, schema, p[:len(history)], risk=0.1, lead=7)
        return plan(f, schema, p[len(history):], risk=0.1, calibration=cal)

    a = planned(later)
    changed = later.copy()
    recent = changed["when"] > changed["when"].max() - np.timedelta64(6, "D")
    changed.loc[recent, "y"] = 0.0  # nobody stayed away: the lowest outcomes possible
    b = planned(changed)
    assert a["extra"].tolist() == b["extra"].tolist()
    # with lead 1 the same change moves the last days' plans
    cal1 = calibration_from(history, schema, p[:len(history)], risk=0.1, lead=1)
    c1 = plan(later, schema, p[len(history):], risk=0.1, calibration=cal1)
    cal2 = calibration_from(history, schema, p[:len(history)], risk=0.1, lead=1)
    c2 = plan(changed, schema, p[len(history):], risk=0.1, calibration=cal2)
    assert c1["extra"].tolist() != c2["extra"].tolist()
    with pytest.raises(PolicyError, match="lead"):
        calibration_from(history, schema, p[:len(history)], risk=0.1, lead=0)


def test_the_plan_csv_has_one_column_order_whatever_the_order_of_its_keys() -> None:
    """The web app's capacity download is written from the job's stored result: on
    PostgreSQL a JSONB document, whose keys come back in its own order (``extra`` first),
    so the CSV's columns followed it and differed from SQLite's and the command line's."""
    import csv
    import io

    from glamlab.actions.capacity import plan_csv

    as_written = {"period": "2017-01-01", "hotel": "City Hotel", "bookings": 3,
                  "expected_no_shows": 0.5, "extra": 1, "no_shows": 0}
    as_jsonb = {k: as_written[k] for k in ("extra", "hotel", "period", "bookings",
                                           "no_shows", "expected_no_shows")}
    for rows_in in ([as_written], [as_jsonb]):
        got = plan_csv(rows_in)
        assert got.startswith("\ufeffperiod,hotel,bookings,expected_no_shows,extra,no_shows"
                              .encode()), got[:80]
        rows = list(csv.DictReader(io.StringIO(got.decode("utf-8-sig"))))
        assert rows == [{k: str(v) for k, v in as_written.items()}]


def _replayed(extra: list[int], no_shows: list[int]) -> dict:
    """A replay's dict, from slots planned with ``extra`` places and those no-shows."""
    import pandas as pd

    slots = pd.DataFrame({"period": pd.date_range("2017-08-01", periods=len(extra)),
                          "bookings": [5] * len(extra), "expected_no_shows": [1.0] * len(extra),
                          "extra": extra, "no_shows": no_shows})
    return replay(slots, risk=0.05, price=20, over_cost=60).to_dict()


def test_the_demo_and_the_command_line_count_one_person_in_the_singular() -> None:
    """The bookings demo and ``glamlab capacity`` said "over capacity by 1 people" (and
    "1 days", "extra place(s)"): each count now takes the word it needs, and a slot (a day
    for one hotel) is counted as a slot, not as a day."""
    from glamlab.cli.tabular import replay_line
    from glamlab.demo.bookings import decision_words, month_words

    one = _replayed([1], [0])  # one slot, one place sold, one person over
    assert (one["slots"], one["extra_sold"], one["people_over"]) == (1, 1, 1)
    cap = {"risk": 0.05, "calibration": {"window": 60}, "currency": "EUR", "replay": one}
    said = decision_words(cap)
    assert "by 1 person," in said and "1 extra ticket over 1 slot " in said
    assert "; 1 slot (100.0%)" in said and "people" not in said
    assert "(a slot: a day for one hotel;" in said
    said = month_words("August", "tabular-gbm@1", 0.4, one, "EUR")
    assert "the 1 extra place it allowed" in said and "1 of 1 slot (a day for one hotel) over capacity" in said
    assert "(by 1 person)" in said and "place(s)" not in said
    said = replay_line("Replayed on the known outcomes", one, "EUR")
    assert "1 extra place earned" in said and "by 1 person, cost 60" in said

    many = _replayed([3, 2, 0], [0, 2, 1])  # 3 over on the first slot only
    assert (many["people_over"], many["over_capacity_slots"]) == (3, 1)
    cap["replay"] = many
    said = decision_words(cap)
    assert "5 extra tickets over 3 slots" in said and "by 3 people," in said
    said = month_words("August", "tabular-gbm@1", 1.2, many, "EUR")
    assert "the 5 extra places" in said and "1 of 3 slots" in said and "(by 3 people)" in said
    assert "by 3 people, cost 180" in replay_line("Replayed", many, "EUR")


def test_the_plan_csv_rounds_the_expected_no_shows_for_people(tmp_path) -> None:
    """The plan's CSV (the web app's download and ``glamlab capacity --csv``) wrote the
    expected no-shows with every digit of a float ("3.1839264217419503" people); it now
    rounds them to 2 decimals, and the plan itself (the JSON) keeps every digit."""
    import csv
    import io

    from glamlab.actions.capacity import plan_csv, write_plan_csv

    frame, schema, _p = _biased_bookings(6, seed=4)
    p = np.random.default_rng(4).random(len(frame)) * 0.3  # no two days alike
    records = plan(frame, schema, p, risk=0.1).to_dict("records")
    full = [r["expected_no_shows"] for r in records]
    assert any(round(x, 2) != x for x in full)  # the plan keeps every digit
    write_plan_csv(tmp_path / "plan.csv", records)
    for got in (plan_csv(records), (tmp_path / "plan.csv").read_bytes()):
        rows = list(csv.DictReader(io.StringIO(got.decode("utf-8-sig"))))
        cells = [r["expected_no_shows"] for r in rows]
        assert all(len(c.partition(".")[2]) <= 2 for c in cells), cells
        assert [float(c) for c in cells] == [round(x, 2) for x in full]
        assert [int(r["extra"]) for r in rows] == [r["extra"] for r in records]
