"""Time split and rolling-origin backtest on real bookings, with week-block intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glamlab.errors import EvaluationError
from glamlab.evaluation.backtest import (
    backtest,
    binary_scores,
    group_counts,
    monthly_origins,
    time_split,
)
from glamlab.predictors.tabular import SamePeriodLastYear, TabularGBM, TrainingShare
from glamlab.reports.plots import backtest_chart
from tests import bookings


def test_time_split_and_a_bad_cutoff():
    schema, frame = bookings.schema(), bookings.frame()
    train, test = time_split(frame, schema, "2017-01-01")
    assert train["arrival_date"].max() < pd.Timestamp("2017-01-01") <= test["arrival_date"].min()
    with pytest.raises(EvaluationError, match="no test rows") as exc:
        time_split(frame, schema, "2030-01-01")
    assert "2015-07-01" in str(exc.value) and exc.value.hint


def test_rolling_origin_backtest():
    schema, frame = bookings.schema(), bookings.frame()
    card = schema.to_card()
    origins = monthly_origins(frame, schema, start="2017-05-01")
    assert [o.month for o in origins] == [5, 6, 7, 8]
    report = backtest(frame, schema, {"gbm": lambda: TabularGBM(card, max_iter=40, threads=1),
                                      "share": lambda: TrainingShare(card)},
                      origins=origins, n_boot=100)
    assert len(report.folds) == 4
    assert [f.test_rows for f in report.folds] == [110, 110, 110, 110]
    # every fold trains on everything before it
    assert report.folds[1].train_rows == report.folds[0].train_rows + 110
    for model in ("gbm", "share"):
        for metric in ("f1", "auc", "brier"):
            s = report.overall[model][metric]
            assert s["low"] <= s["value"] <= s["high"], (model, metric)
    assert report.overall["gbm"]["auc"]["value"] > report.overall["share"]["auc"]["value"]
    assert report.overall["share"]["f1"]["value"] == 0.0  # never says yes at 0.5
    d = report.to_dict()
    assert d["task"] == "binary" and len(d["folds"]) == 4
    assert 'data-plot="line"' in backtest_chart(report)
    # the F1 of the positive outcome, named after it: evaluate's f1_macro is the average
    # over the outcomes, where the share baseline does not read 0.000
    assert report.positive == "is_canceled = 1"
    assert "F1 for 'is_canceled = 1' with 95% intervals" in report.summary()
    assert set(d["overall"]["gbm"]) == {"f1", "auc", "brier"}  # the JSON keys as they were


def test_a_first_month_whose_training_rows_have_one_outcome_names_the_month():
    """Every booking before 2015-10 kept: the predictor's own "every training row has
    the same outcome" (fix: "train on a period with both outcomes") named neither the
    month nor where to start. The backtest says both (the Python API, no project)."""
    schema, frame = bookings.schema(), bookings.frame()
    frame = frame[frame["arrival_date"] < "2016-01-01"].copy()
    before = frame["arrival_date"] < "2015-10-01"
    frame.loc[before, "is_canceled"] = 0
    first_cancelled = frame.loc[frame["is_canceled"] == 1, "arrival_date"].min()
    suggested = (first_cancelled.to_period("M") + 1).start_time
    card = schema.to_card()
    with pytest.raises(EvaluationError) as exc:
        backtest(frame, schema, {"gbm": lambda: TabularGBM(card, max_iter=20, threads=1)},
                 origins=["2015-10-01", "2015-11-01"], n_boot=20)
    assert exc.value.message == (
        f"the backtest cannot train gbm for the month 2015-10: all {before.sum():,} "
        "training rows before it have the same outcome (is_canceled = 0), and a model "
        "needs rows of both outcomes to learn from")
    assert exc.value.hint == (f"choose a later first month for the backtest: "
                              f"{suggested:%Y-%m} or after, the first month with rows of "
                              "both outcomes before it")
    frame["is_canceled"] = 0  # no row of the table was cancelled: bring some in
    with pytest.raises(EvaluationError) as exc:
        backtest(frame, schema, {"gbm": lambda: TabularGBM(card, max_iter=20, threads=1)},
                 origins=["2015-10-01"], n_boot=20)
    assert exc.value.hint == ("every row of the table has is_canceled = 0: bring in rows "
                              "with the other outcome too")


def test_count_task():
    schema, frame = bookings.schema(), bookings.frame()
    card = schema.to_card()
    report = backtest(frame, schema, {"last-year": lambda: SamePeriodLastYear(card)},
                      origins=["2017-01-01"], horizon="YS", group_by=["hotel"],
                      count_freq="W", n_boot=100)
    assert report.task == "count" and report.metric == "mae"
    s = report.overall["last-year"]["mae"]
    assert 0 < s["low"] <= s["value"] <= s["high"]
    counts = group_counts(frame.loc[report.test_index], schema,
                          report.predictions["last-year"], group_by=["hotel"], freq="W")
    assert counts["rows"].sum() == len(report.test_index)
    assert counts["realised"].sum() == frame.loc[report.test_index, "is_canceled"].sum()
    assert s["value"] == pytest.approx(
        float((counts["predicted"] - counts["realised"]).abs().mean()), abs=1e-6)


def test_binary_scores_intervals_widen_with_fewer_weeks():
    rng = np.random.default_rng(0)
    p = rng.random(4000)
    y = (rng.random(4000) < p).astype(float)
    many = binary_scores(y, p, np.arange(4000) // 20, n_boot=200)
    few = binary_scores(y, p, np.arange(4000) // 1000, n_boot=200)
    width = lambda s: s["f1"]["high"] - s["f1"]["low"]  # noqa: E731
    assert many["f1"]["value"] == few["f1"]["value"]
    assert width(few) > width(many)


def test_backtest_without_outcomes_is_refused():
    schema, frame = bookings.schema(), bookings.frame()
    with pytest.raises(EvaluationError, match="outcomes"):
        backtest(frame.drop(columns=["is_canceled"]), schema,
                 {"share": lambda: TrainingShare(schema.to_card())}, origins=["2017-01-01"])


def test_counts_keep_the_rows_whose_number_group_is_blank():
    """A number column that splits the slots (a floor, say) with blank cells: backtest's
    counts per period and group dropped those rows (pandas leaves NaN keys out of a
    group-by), while evaluate, monitor and retrain count them; the capacity plan did
    too. Every row is counted, the blank ones in a slot of their own."""
    from glamlab.actions.capacity import _slots

    schema, frame = bookings.schema(), bookings.frame()
    frame = frame.assign(floor=[float("nan") if i % 7 == 0 else float(i % 3)
                                for i in range(len(frame))])
    p = np.full(len(frame), 0.1)
    counts = group_counts(frame, schema, p, group_by=["floor"], freq="D")
    assert counts["rows"].sum() == len(frame)
    assert counts["floor"].isna().any()
    planned = _slots(frame, schema, p, ["floor"], "D")
    assert sum(len(q) for _key, q, _y in planned) == len(frame)
