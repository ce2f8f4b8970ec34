"""Tabular predictors on real bookings: trained on 2015-16 arrivals, judged on 2017."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from glamlab.errors import ColumnError, NotFittedError, PredictorError
from glamlab.predictors.base import Predictor
from glamlab.predictors.tabular import (
    LastPeriod,
    SamePeriodLastYear,
    TabularGBM,
    TrainingShare,
)
from tests import bookings


@pytest.fixture(scope="module")
def data():
    train, test = bookings.split()
    return bookings.schema().to_card(), train, test


def test_gbm_beats_the_baselines_on_later_arrivals(data):
    card, train, test = data
    y = test["is_canceled"].to_numpy()
    auc = {}
    for p in (TabularGBM(card, max_iter=100, threads=1), TrainingShare(card), LastPeriod(card),
              SamePeriodLastYear(card)):
        proba = p.fit_table(train).predict_table(test)
        assert proba.shape == (len(test),) and ((proba >= 0) & (proba <= 1)).all()
        auc[p.name] = roc_auc_score(y, proba)
    assert auc["tabular-gbm"] > 0.75
    assert auc["tabular-gbm"] > max(v for k, v in auc.items() if k != "tabular-gbm") + 0.1


def test_lightgbm_engine(data):
    pytest.importorskip("lightgbm")
    card, train, test = data
    p = TabularGBM(card, engine="lightgbm", max_iter=50, threads=1).fit_table(train)
    assert roc_auc_score(test["is_canceled"], p.predict_table(test)) > 0.75


def test_calibrated_on_the_latest_training_rows(data):
    card, train, _ = data
    p = TabularGBM(card, max_iter=50, calibration_fraction=0.25, threads=1).fit_table(train)
    ref = p.reference_
    n = len(ref["y"])
    assert n == int(len(train) * 0.25)
    # the calibration rows are the latest ones, and isotonic calibration matches their rate
    assert ref["time"].min() >= np.sort(train["arrival_date"].to_numpy())[-n]
    assert abs(ref["proba"].mean() - ref["y"].mean()) < 1e-6
    raw = TabularGBM(card, max_iter=50, calibration="none", threads=1).fit_table(train)
    assert raw.reference_ == {} and raw.calibrator_ is None


def test_the_year_and_the_leaky_columns_are_never_read(data):
    card, train, test = data
    p = TabularGBM(card, max_iter=20, threads=1).fit_table(train)
    used = set(p.encoder_.features)
    assert "reservation_status" not in used and "arrival_date_year" not in used
    # a leaky column changed to nonsense does not change a single prediction
    changed = test.assign(reservation_status="Check-Out")
    np.testing.assert_array_equal(p.predict_table(test), p.predict_table(changed))
    with pytest.raises(ColumnError, match="lead_time"):
        p.predict_table(test.drop(columns=["lead_time"]))


def test_same_period_last_year_follows_the_season(data):
    card, train, test = data
    p = SamePeriodLastYear(card, days=14, min_rows=10).fit_table(train)
    proba = p.predict_table(test)
    month = test["arrival_date"].dt.month
    # one value per season, not one for all: it differs between months
    assert len({round(float(np.mean(proba[month == m])), 4) for m in (1, 4, 7)}) == 3
    share = TrainingShare(card).fit_table(train).predict_table(test)
    assert np.unique(share).size == 1
    assert share[0] == pytest.approx(train["is_canceled"].mean())


def test_errors(data):
    card, train, _ = data
    with pytest.raises(NotFittedError):
        TabularGBM(card).predict_table(train)
    with pytest.raises(PredictorError, match="schema"):
        TabularGBM().fit_table(train)
    with pytest.raises(PredictorError, match="same outcome"):
        TabularGBM(card).fit_table(train[train["is_canceled"] == 0])
    with pytest.raises(PredictorError, match="engine"):
        TabularGBM(card, engine="xgboost").fit_table(train)


def test_save_and_load(data, tmp_path):
    card, train, test = data
    p = TabularGBM(card, max_iter=20, threads=1).fit_table(train)
    p.save(tmp_path / "m")
    q = Predictor.load(tmp_path / "m")
    assert isinstance(q, TabularGBM)
    np.testing.assert_allclose(q.predict_table(test), p.predict_table(test))


def test_few_outcomes_to_calibrate_on_do_not_give_probabilities_of_only_0_and_1():
    """The bookings demo's retraining "with the app": 325 bookings of the 90 days before
    August 2017, calibrated on the latest 65 of them (4 "yes"). Isotonic regression mapped
    every score to exactly 0 or 1, and the monitor estimated August's F1 as 1.000
    [1.000, 1.000] (realised 0.600). By default the calibration is now Platt's sigmoid
    when there are fewer than MIN_ISOTONIC rows of an outcome to calibrate on."""
    import pandas as pd

    from glamlab.demo.bookings import staged
    from glamlab.ingest.columns import prepare
    from glamlab.monitoring.estimate import estimate_f1, realised_f1

    schema = bookings.schema()
    frame = prepare(staged(bookings.raw()), schema)
    t = frame["arrival_date"]
    recent = frame[(t >= pd.Timestamp("2017-08-01") - pd.Timedelta(days=90))
                   & (t < "2017-08-01")].reset_index(drop=True)
    august = frame[t >= "2017-08-01"].reset_index(drop=True)
    model = TabularGBM(schema.to_card(), threads=1).fit_table(recent)
    p = model.predict_table(august)
    assert ((p > 0) & (p < 1)).all(), np.unique(p)  # before: only 0 and 1
    value, low, high = estimate_f1(p)
    assert low < high  # before: 1.000 [1.000, 1.000]
    assert low <= realised_f1(august["is_canceled"].to_numpy(dtype=float), p) <= high

    from glamlab.predictors.tabular import MIN_ISOTONIC

    cal_y = model.reference_["y"]
    assert 0 < min(cal_y.sum(), len(cal_y) - cal_y.sum()) < MIN_ISOTONIC
    assert model.calibrated_with_ == "sigmoid"
    words = model.card()["calibrated_on"]
    assert words.startswith("Platt's sigmoid on the latest 20% of the training rows: "
                            f"{len(cal_y)} rows ({int(cal_y.sum())} with the outcome")
    assert "too few for isotonic regression" in words
    # isotonic, when named, is still isotonic
    iso = TabularGBM(schema.to_card(), threads=1, calibration="isotonic").fit_table(recent)
    assert iso.calibrated_with_ == "isotonic"


def _old_save(model, directory):
    """Save ``model`` as a version before ``calibrated_with_`` and ``calibration_rows_``
    saved it (and before calibration 'auto': its default was isotonic)."""
    import json
    import pickle

    model.save(directory)
    state = pickle.loads((directory / "state.pkl").read_bytes())
    for key in ("calibrated_with_", "calibration_rows_"):
        state.pop(key)
    (directory / "state.pkl").write_bytes(pickle.dumps(state))
    params = json.loads((directory / "params.json").read_text())
    params["params"]["calibration"] = "isotonic"
    (directory / "params.json").write_text(json.dumps(params))
    return Predictor.load(directory)


def test_the_card_says_what_calibration_was_done(data, tmp_path):
    """The card said 'the latest 20% of the training rows' whether or not the model
    was calibrated there; it says the method, the rows and their outcomes, or why not."""
    card, train, _ = data
    train = train.sort_values("arrival_date", kind="stable").reset_index(drop=True)
    done = TabularGBM(card, max_iter=20, threads=1).fit_table(train)
    cal_y = done.reference_["y"]
    yes, no = int(cal_y.sum()), int(len(cal_y) - cal_y.sum())
    assert min(yes, no) >= 20 and done.calibrated_with_ == "isotonic"
    words = done.card()["calibrated_on"]
    assert words.startswith("isotonic regression on the latest 20% of the training rows")
    assert f"{len(cal_y):,} rows ({yes:,} with the outcome, {no:,} without)" in words
    assert done.card()["calibration"]["method"] == "isotonic"

    # 200 rows: 40 to calibrate on, under the 50 needed: the trees' own scores
    few = TabularGBM(card, max_iter=20, threads=1).fit_table(train.tail(200))
    assert few.calibrator_ is None
    words = few.card()["calibrated_on"]
    assert words.startswith("not calibrated: the latest 20% of the training rows were 40 rows")
    assert "fewer than the 50" in words and "isotonic" not in words
    assert few.card()["calibration"] == {**few.card()["calibration"], "method": None,
                                         "rows": 40, "skipped": "fewer than 50 rows"}

    # the latest rows all of one outcome
    y = train["is_canceled"].to_numpy(dtype=float).copy()
    y[-int(len(y) * 0.2):] = 0
    one = TabularGBM(card, max_iter=20, threads=1).fit_table(train, y)
    assert one.calibrator_ is None
    assert "all had the same outcome" in one.card()["calibrated_on"]
    assert one.card()["calibrated_on"].startswith("not calibrated")

    none = TabularGBM(card, max_iter=20, threads=1, calibration="none").fit_table(train)
    assert none.card()["calibrated_on"].startswith("not calibrated (calibration=none)")

    # models saved before calibrated_with_: what their calibrator shows
    old = _old_save(done, tmp_path / "old")
    assert not hasattr(old, "calibrated_with_") and old.calibration == "isotonic"
    assert old.card()["calibrated_on"] == done.card()["calibrated_on"]
    old_few = _old_save(few, tmp_path / "old-few")
    assert old_few.card()["calibrated_on"] == few.card()["calibrated_on"]
