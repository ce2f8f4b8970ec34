"""Retraining when the outcomes of a window arrive: challengers on the recent period and
on all rows, judged with the champion on the newest labelled window, through the gate."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.errors import EvaluationError
from glamlab.predictors.tabular import TabularGBM, TrainingShare
from glamlab.retraining.gate import GateConfig
from glamlab.retraining.tabular import retrain_on_outcomes
from tests import bookings


def _shifted(frame):
    """From June 2017 on, every booking is made at most 7 days ahead (real short-lead
    bookings of 2017 stand in for them), and their outcomes are known."""
    rng = np.random.default_rng(0)
    t = frame["arrival_date"]
    after = t >= "2017-06-01"
    pool = frame[(t >= "2017-01-01") & (frame["lead_time"] <= 7)]
    new = pool.iloc[rng.integers(0, len(pool), int(after.sum()))].copy()
    new["arrival_date"] = frame.loc[after, "arrival_date"].to_numpy()
    return frame[~after], new


def test_a_champion_beaten_on_the_newest_window_is_replaced():
    import pandas as pd

    schema = bookings.schema()
    card = schema.to_card()
    before, new = _shifted(bookings.frame())
    frame = pd.concat([before, new], ignore_index=True)
    champion = TrainingShare(card).fit_table(before[before["arrival_date"] < "2017-01-01"])
    report = retrain_on_outcomes(frame, schema, champion,
                                 lambda: TabularGBM(card, max_iter=60, threads=1),
                                 window_start="2017-07-01", recent_days=30,
                                 gate=GateConfig(max_drop=0.01, min_gain=0.01))
    assert report.window_rows == int((frame["arrival_date"] >= "2017-07-01").sum())
    assert report.train_rows["recent"] < report.train_rows["all"]
    assert set(report.scores) == {"champion", "recent", "all"}
    assert report.scores["champion"] == 0.5  # a constant share ranks nothing
    assert report.promoted and report.chosen in ("recent", "all")
    assert 0 < report.p_value <= 1
    d = report.to_dict()
    assert d["gate"]["promote"] and d["window"][0] == "2017-07-01"
    assert "Promote" in report.summary()


def test_a_champion_that_holds_is_kept():
    schema = bookings.schema()
    card = schema.to_card()
    frame = bookings.frame()
    make = lambda: TabularGBM(card, max_iter=60, threads=1)  # noqa: E731
    champion = make().fit_table(frame[frame["arrival_date"] < "2017-06-01"])
    report = retrain_on_outcomes(frame, schema, champion, make, window_start="2017-06-01",
                                 gate=GateConfig(max_drop=0.01, min_gain=0.05))
    assert not report.promoted
    assert "Keep the current model" in report.summary()


def test_no_outcomes_in_the_window():
    schema = bookings.schema()
    frame = bookings.frame()
    with pytest.raises(EvaluationError, match="no labelled rows"):
        retrain_on_outcomes(frame, schema, TrainingShare(schema.to_card()),
                            lambda: TrainingShare(schema.to_card()), window_start="2019-01-01")


def test_the_summary_and_the_gate_give_a_score_the_same_digits(monkeypatch, capsys):
    """A challenger's AUC of 0.79951 reads 0.800 in the gate's reasons and in the line
    that sums the scores up, in the report's summary and in `glamlab retrain` (which
    said "on all rows 0.799": it rounded to 3 places a score rounded to 4 already)."""
    import glamlab.retraining.tabular as rt
    from glamlab.cli.tabular import retrain
    from glamlab.retraining.gate import decide
    from glamlab.retraining.tabular import TabularRetrainReport

    scores = {"champion": 0.70213, "recent": 0.7612, "all": 0.79951}
    decision = decide("auc", scores["champion"], scores["all"], config=GateConfig(),
                      paired_p=0.01)
    report = TabularRetrainReport(("2017-08-01", "2017-09-01"), 400, "auc", scores,
                                  {"recent": 100, "all": 900}, "all", decision, 0.01)
    assert any("0.702 → 0.800" in r for r in decision.reasons)
    assert "on all rows 0.800." in report.summary()
    monkeypatch.setattr(rt, "retrain_project", lambda ws, **kw: {
        **report.to_dict(), "champion": "m@1", "saved": None})
    retrain(None, model=None, window_start=None, recent_days=90, as_json=False)
    out = capsys.readouterr().out
    assert ("current model 0.702, a new version trained on the recent period 0.761, one "
            "trained on all rows 0.800.") in out
    assert "Promote the new version trained on all rows." in report.summary()
    assert "challenger" not in out.lower() and "challenger" not in report.summary().lower()
    assert "0.702 → 0.800" in out


def test_the_gate_says_its_measure_and_its_chance_in_words():
    """A curator read "auc drops by 0.064", "auc gains -0.064" and "paired p = 0.44" in
    the retrain report: the measure is named in words (its short name once, in
    parentheses) and the p-value is how often luck alone would give a difference this big."""
    from glamlab.retraining.gate import decide

    worse = " ".join(decide("auc", 0.710, 0.646, config=GateConfig()).reasons)
    assert "auc " not in worse and "gains" not in worse, worse
    assert worse.count("ROC AUC (how well the chances rank the outcomes)") == 1, worse
    assert "is worse with the new version by 0.064 (0.710 → 0.646" in worse, worse
    assert "the new version's gain is -0.064 (new version minus current model)" in worse
    noisy = " ".join(decide("f1_macro", 0.80, 0.804, config=GateConfig(),
                            paired_p=0.44).reasons)
    assert "paired p" not in noisy and "(p = " not in noisy, noisy
    assert "how often luck alone would give a difference this big: 0.44" in noisy, noisy
    count = " ".join(decide("mae", 3.0, 2.5, config=GateConfig(), paired_p=0.01,
                            lower_is_better=True).reasons)
    assert count.startswith("the count's average miss (MAE) 3.000 → 2.500"), count



def test_the_window_ends_with_its_last_known_outcome():
    """Bookings ingested ahead (no outcome yet) stretched the newest labelled window to
    their date: July's outcomes were reported as the window "2017-07-01 to 2017-10-01",
    and evaluate pointed to that window as the promoted model's fair comparison."""
    schema = bookings.schema()
    frame = bookings.frame()
    frame = frame[frame["arrival_date"] < "2017-08-01"].copy()
    later = frame[frame["arrival_date"] >= "2017-07-01"].copy()
    later["arrival_date"] = later["arrival_date"] + np.timedelta64(62, "D")
    later[schema.label_column] = np.nan  # September's bookings, outcomes not known yet
    import pandas as pd

    frame = pd.concat([frame, later], ignore_index=True)
    make = lambda: TrainingShare(schema.to_card())  # noqa: E731
    report = retrain_on_outcomes(frame, schema, make().fit_table(
        frame[frame["arrival_date"] < "2017-06-01"]), make, window_start="2017-07-01",
        metric="f1")
    july = frame[(frame["arrival_date"] >= "2017-07-01") & frame[schema.label_column].notna()]
    assert report.window == ("2017-07-01", "2017-08-01")
    assert report.window_rows == len(july)
