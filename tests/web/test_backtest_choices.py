"""A tabular project's evaluate page chooses what ``glamlab backtest`` chooses: the model
tried after the baselines (a table predictor of the catalogue, or one of the project's
saved models, retrained each month with its own settings), the first month and the last
date, and the resamples of the 95% intervals, each empty field the command's default. A
bad value is one message naming the field and what to give, and no backtest starts
(before, the page backtested tabular-gbm from the test rows' month to the last row, 200
resamples, whatever the form sent)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests import bookings

from .conftest import app_with_users, csrf_of
from .test_tabular_test_rows import _ingest, _main, rows_app  # noqa: F401  (the fixture)


@pytest.fixture
def months_app(make_ws: Any, tmp_path: Any) -> Any:
    """The sample's first 550 bookings (July to November 2015), the test rows from
    September on."""
    from glamlab.tasks.tabular import set_time_split

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    raw = bookings.raw().sort_values("arrival_date").head(550).reset_index(drop=True)
    raw.to_csv(tmp_path / "bookings.csv", index=False)
    _ingest(ws, tmp_path / "bookings.csv")
    set_time_split(ws, "2015-09-01")
    made = app_with_users(ws)
    yield next(made)
    next(made, None)


def _form(page: str) -> str:
    m = re.search(r'<form[^>]*id="backtest-form".*?</form>', page, re.S)
    assert m, "no backtest form on the evaluate page"
    return m.group(0)


def test_the_page_offers_the_table_predictors_and_the_saved_models(rows_app: Any) -> None:  # noqa: F811
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import train_until

    ws, _app, client, _path = rows_app
    train_tabular(ws, "tabular-gbm", params={"max_iter": 20}, name="gbm-small")
    form = _form(_main(client("ada").get("/stages/evaluate").text))
    values = re.findall(r'<option value="([^"]+)"', form)
    assert values[0] == "tabular-gbm" and "gbm-small@1" in values, values
    assert not any(v.startswith(("tabular-share", "tabular-last")) for v in values)
    assert re.search(r'<option value="tabular-gbm" selected>', form)
    for name in ("since", "until", "n_boot"):
        assert f'name="{name}"' in form, name
    assert 'value="200"' in form  # the command's resamples
    assert f"the month the test rows start in, {train_until(ws)[:7]}" in form


@pytest.mark.slow
def test_a_saved_model_is_backtested_over_the_months_chosen(months_app: Any) -> None:
    """The saved model gbm-small@1 (20 trees), from October to mid-October, 20
    resamples: the job's figures are those of the backtest of its predictor with its
    settings over that window (not the three months from the test rows' first month), and
    the report names it by its version."""
    from glamlab.evaluation.tabular import project_backtest
    from glamlab.registry.tabular import train_tabular
    from glamlab.web import jobs

    ws, app, client = months_app
    train_tabular(ws, "tabular-gbm", params={"max_iter": 20}, name="gbm-small")
    ada = client("ada")
    r = ada.post("/stages/evaluate/backtest", data={
        "csrf": csrf_of(ada), "model": "gbm-small@1", "since": "2015-10",
        "until": "2015-10-15", "n_boot": "20"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    job = jobs.latest(ws, "backtest")
    assert job["status"] == "done", job
    assert job["params"] == {"model": "gbm-small@1", "since": "2015-10",
                             "until": "2015-10-15", "n_boot": 20}
    got = job["result"]
    assert got["models"][-1] == "gbm-small@1"
    assert [f["origin"][:7] for f in got["folds"]] == ["2015-10"]
    by_default = project_backtest(ws, n_boot=20).to_dict()
    assert [f["origin"][:7] for f in by_default["folds"]] == ["2015-09", "2015-10", "2015-11"]
    same = project_backtest(ws, model="tabular-gbm", params={"max_iter": 20},
                            since="2015-10", until="2015-10-15", n_boot=20).to_dict()
    assert got["overall"]["gbm-small@1"] == same["overall"]["tabular-gbm"]
    assert got["folds"][0]["scores"]["gbm-small@1"] == same["folds"][0]["scores"]["tabular-gbm"]
    page = _main(ada.get("/stages/evaluate").text)
    assert "<td>gbm-small@1</td>" in page
    # the F1 of the positive outcome, named so (the leaderboard's f1_macro averages over
    # the outcomes: the same baseline reads 0.000 here and 0.38 there)
    assert '<th scope="col"><abbr title="f1">F1 for &#39;is_canceled = 1&#39;</abbr></th>' in page
    assert "Month by month (F1 for &#39;is_canceled = 1&#39;)" in page


def test_a_bad_choice_is_one_message_naming_the_field(rows_app: Any) -> None:  # noqa: F811
    from glamlab.web import jobs

    ws, _app, client, _path = rows_app
    ada = client("ada")
    good = {"model": "tabular-gbm", "since": "2015-08", "until": "2015-09-30",
            "n_boot": "200"}
    for field, bad, words in (
            ("model", "tabular-share", "the model to backtest must be one of the list, "
                                       "not 'tabular-share'"),
            ("model", "nobody@3", "the model to backtest must be one of the list"),
            ("since", "2015-13", "the first month of the backtest must be a month, "
                                 "not '2015-13'"),
            ("since", "last summer", "the first month of the backtest must be a month"),
            ("until", "2015-02-30", "the last date of the backtest must be a date, "
                                    "not '2015-02-30'"),
            ("until", "2015-07-15", "the last date of the backtest (2015-07-15) is before "
                                    "its first month (2015-08)"),
            ("n_boot", "5", "the resamples for the 95% intervals must be a whole number "
                            "from 10 to 2000, not '5'"),
            ("n_boot", "lots", "the resamples for the 95% intervals must be a whole number"),
            ("n_boot", "1e309", "the resamples for the 95% intervals must be a whole number")):
        r = ada.post("/stages/evaluate/backtest",
                     data={"csrf": csrf_of(ada), **good, field: bad})
        assert r.status_code == 400, (field, bad, r.status_code)
        text = html.unescape(_main(r.text))
        assert words in text, (field, bad, text[:600])
        # no command flag in the words read (tags left out: the random CSRF token of a
        # hidden input, value="--x...", once in about ten thousand sessions, is no flag)
        said = html.unescape(re.sub(r"<[^>]*>", " ", _main(r.text)))
        assert not re.search(r"(?<![\w-])--[a-z]", said), said[:600]
        assert jobs.latest(ws, "backtest") is None, (field, bad)


def test_a_refused_choice_comes_back_beside_the_form_as_it_was_filled_in(
        rows_app: Any) -> None:  # noqa: F811
    """Before, a bad choice (a last date before the first month) led to the error page,
    with a link back to the overview: the curator went back to the evaluate page and
    typed the model, the months and the resamples again. Now the evaluate page comes back
    with the message beside the backtest form, which keeps what was sent."""
    from glamlab.registry.tabular import train_tabular
    from glamlab.web import jobs

    ws, _app, client, _path = rows_app
    train_tabular(ws, "tabular-gbm", params={"max_iter": 20}, name="gbm-small")
    ada = client("ada")
    r = ada.post("/stages/evaluate/backtest", data={
        "csrf": csrf_of(ada), "model": "gbm-small@1", "since": "2015-08",
        "until": "2015-07-15", "n_boot": "50"})
    assert r.status_code == 400, r.status_code
    assert jobs.latest(ws, "backtest") is None
    form = _form(r.text)
    assert re.search(r'<option value="gbm-small@1" selected>', form), form
    assert not re.search(r'<option value="tabular-gbm" selected>', form)
    assert re.search(r'id="backtest-since"[^>]*value="2015-08"', form), form
    assert re.search(r'id="backtest-until"[^>]*value="2015-07-15"', form), form
    assert re.search(r'id="backtest-n-boot"[^>]*value="50"', form), form
    section = re.search(r'<section aria-labelledby="backtest-h".*?</section>', r.text, re.S)
    assert section, "no backtest section"
    said = html.unescape(section.group(0))
    assert ("Not started: the last date of the backtest (2015-07-15) is before its first "
            "month (2015-08)") in said
    assert "What to do: choose a last date after the first month" in said
    # the page as it is on a visit again: the command's defaults, no message
    again = ada.get("/stages/evaluate").text
    assert 'id="backtest-problem"' not in again
    assert re.search(r'<option value="tabular-gbm" selected>', _form(again))


def test_a_first_month_with_too_little_to_learn_from_is_one_plain_message(
        months_app: Any) -> None:
    """From August 2015 the model has July's rows to learn from, in which one number
    column (company) is never filled: scikit-learn's own "window shape cannot be larger
    than input array shape" (before, as-is on the page) becomes one message naming the
    month, the training rows and the fix, from the Python API and on the evaluate page."""
    from glamlab.errors import EvaluationError
    from glamlab.evaluation.tabular import project_backtest
    from glamlab.web import jobs

    ws, app, client = months_app
    from glamlab.tasks.tabular import project_frame

    frame = project_frame(ws)
    july = frame[frame["arrival_date"] < "2015-08-01"]
    before = len(july)
    assert before and july["company"].isna().all() and frame["company"].notna().any()
    with pytest.raises(EvaluationError) as err:
        project_backtest(ws, since="2015-08", n_boot=20)
    words = (f"the backtest cannot train tabular-gbm for the month 2015-08: only {before} "
             "training rows come before it; the column 'company' has no value in any of them")
    assert err.value.message == words
    assert "choose a later first month for the backtest (after 2015-08)" in err.value.hint
    ada = client("ada")
    r = ada.post("/stages/evaluate/backtest", data={
        "csrf": csrf_of(ada), "model": "tabular-gbm", "since": "2015-08", "until": "",
        "n_boot": "20"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    job = jobs.latest(ws, "backtest")
    assert job["status"] == "failed" and job["error"].startswith(words), job
    page = html.unescape(_main(ada.get("/stages/evaluate").text))
    assert f"The backtest failed: {words}" in page
    assert "choose a later first month for the backtest (after 2015-08)" in page
    assert "window shape" not in page and "ValueError" not in page


@pytest.fixture
def one_outcome_app(make_ws: Any, tmp_path: Any) -> Any:
    """As :func:`months_app`, every July booking kept (none cancelled), and the company
    column filled in July (so that July's rows are only short of a second outcome)."""
    from glamlab.tasks.tabular import set_time_split

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    raw = bookings.raw().sort_values("arrival_date").head(550).reset_index(drop=True)
    july = raw["arrival_date"].astype(str) < "2015-08-01"
    raw.loc[july, "is_canceled"] = "0"
    raw.loc[july, "company"] = "40"
    raw.to_csv(tmp_path / "bookings.csv", index=False)
    _ingest(ws, tmp_path / "bookings.csv")
    set_time_split(ws, "2015-09-01")
    made = app_with_users(ws)
    yield next(made)
    next(made, None)


def test_a_first_month_whose_rows_before_have_one_outcome_names_the_month(
        one_outcome_app: Any) -> None:
    """Every booking before August 2015 was kept: backtesting from August said the
    predictor's own "tabular-gbm: every training row has the same outcome" (fix: "train
    on a period with both outcomes"), naming neither the month nor which month to start
    from. Now one message names the month and the outcome, and the fix the first month
    with both outcomes before it, from the Python API and on the evaluate page."""
    from glamlab.errors import EvaluationError
    from glamlab.evaluation.tabular import project_backtest
    from glamlab.tasks.tabular import project_frame
    from glamlab.web import jobs

    ws, app, client = one_outcome_app
    frame = project_frame(ws)
    july = frame[frame["arrival_date"] < "2015-08-01"]
    cancelled = frame[frame["is_canceled"] == 1]["arrival_date"].min()
    assert len(july) and (july["is_canceled"] == 0).all() and cancelled >= july[
        "arrival_date"].max()
    after = (cancelled.to_period("M") + 1).start_time
    with pytest.raises(EvaluationError) as err:
        project_backtest(ws, since="2015-08", n_boot=20)
    words = (f"the backtest cannot train tabular-gbm for the month 2015-08: all {len(july)} "
             "training rows before it have the same outcome (is_canceled = 0)")
    assert err.value.message.startswith(words), err.value.message
    fix = (f"choose a later first month for the backtest: {after:%Y-%m} or after, the "
           "first month with rows of both outcomes before it")
    assert err.value.hint == fix
    # from the suggested month on, it trains
    assert project_backtest(ws, since=f"{after:%Y-%m}", n_boot=20).folds
    ada = client("ada")
    r = ada.post("/stages/evaluate/backtest", data={
        "csrf": csrf_of(ada), "model": "tabular-gbm", "since": "2015-08", "until": "",
        "n_boot": "20"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    job = jobs.latest(ws, "backtest")
    assert job["status"] == "failed" and job["error"].startswith(words), job
    page = html.unescape(_main(ada.get("/stages/evaluate").text))
    assert f"The backtest failed: {words}" in page and fix in page, page
    assert "every training row has the same outcome" not in page
