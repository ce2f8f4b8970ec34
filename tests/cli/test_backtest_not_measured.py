"""A backtest over months whose rows all have one outcome (nobody cancelled) has no
ranking (AUC): ``--json`` writes it as null, and the text, the HTML report and the
evaluate page said ``nan`` (the page ``n/a``). Now each says so in words."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.evaluation.backtest import NOT_MEASURED, no_positive
from tests import bookings


def _quiet_month(make_ws: Any, tmp_path: Path) -> Any:
    """300 bookings, the last month's (the test rows') all kept."""
    from glamlab.tasks.tabular import ingest_table

    ws = make_ws("b", task="no-shows", modality="tabular", labels=["0", "1"])
    table = bookings.raw().sort_values("arrival_date").head(300).reset_index(drop=True)
    month = table["arrival_date"].astype(str).str[:7]
    table.loc[month == month.max(), "is_canceled"] = "0"  # a quiet month: nobody cancelled
    table.to_csv(tmp_path / "rows.csv", index=False)
    ingest_table(ws, tmp_path / "rows.csv", time_column="arrival_date",
                 label_column="is_canceled", id_column="id", group_columns=["hotel"],
                 never_features=list(bookings.NEVER))
    return ws


def test_the_text_and_the_html_report_say_why_there_is_no_ranking(make_ws, tmp_path):
    ws = _quiet_month(make_ws, tmp_path)
    page = tmp_path / "backtest.html"
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    res = CliRunner().invoke(cli, [*base, "backtest", "--n-boot", "20", "--html", str(page)])
    assert res.exit_code == 0, (res.output, res.exception)
    assert not re.search(r"\bnan\b", res.output, re.I)
    assert f"ranking (AUC): {NOT_MEASURED} (a ranking needs rows of both outcomes)." \
        in res.output
    shown = html.unescape(page.read_text(encoding="utf-8"))
    assert ">nan" not in shown and "nan [" not in shown
    assert shown.count(f"<td>{NOT_MEASURED}</td>") == 4  # the AUC of each model
    # the F1 of a month in which nobody cancelled: nothing to find, not "found none"
    assert "0.000 [0.000, 0.000]" not in shown and "0.000 [0.000, 0.000]" not in res.output
    assert shown.count(f"<td>{no_positive('is_canceled = 1')}</td>") == 4
    assert f"tabular-gbm              {no_positive('is_canceled = 1')}" in res.output
    data = json.loads(CliRunner().invoke(cli, [*base, "backtest", "--n-boot", "20",
                                               "--json"]).output)
    assert data["overall"]["tabular-gbm"]["f1"]["value"] is None
    assert data["folds"][-1]["scores"]["tabular-gbm"]["f1"] is None


def test_an_f1_without_the_outcome_is_not_measured_and_a_month_of_it_is_named():
    """Two months, the second without a cancellation: the pooled F1 counts the first
    month's only (its interval leaves out resamples without one), the second month's F1
    is None, named with the reason under the chart and after the text, not drawn as 0."""
    from glamlab.evaluation.backtest import BacktestReport, Fold, binary_scores
    from glamlab.reports.tabular import backtest_sections, backtest_text_note

    nan = float("nan")
    y = np.array([0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.1, 0.2, 0.6, 0.1, 0.1])
    assert np.isnan(binary_scores(y, p, np.array([0, 0, 1, 1, 2, 2]), n_boot=20)["f1"]["value"])
    y = np.array([1, 0, 1, 0, 0, 0])
    weeks = np.array([0, 0, 1, 1, 2, 2])
    f1 = binary_scores(y, p, weeks, n_boot=50)["f1"]
    assert f1["value"] == pytest.approx(0.5) and 0.0 <= f1["low"] <= f1["high"] <= 1.0
    folds = [Fold("2017-01-01", "2017-02-01", 10, 3, {"m": {"f1": 0.5, "auc": 0.7}}),
             Fold("2017-02-01", "2017-03-01", 13, 3, {"m": {"f1": nan, "auc": nan}})]
    report = BacktestReport("binary", "f1", ["m"], folds,
                            {"m": {"f1": f1, "auc": {"value": 0.7, "low": 0.6, "high": 0.8}}},
                            positive="is_canceled = 1")
    why = no_positive("is_canceled = 1")
    assert f"F1 for 'is_canceled = 1' in 2017-02: {why}." in backtest_text_note(report)
    chart = backtest_sections(report)[-1]
    assert f"in 2017-02: {why} (left out of the chart)" in chart.note
    assert "nan" not in chart.html.lower()


def test_a_figure_without_a_value_or_an_interval_is_said_in_words():
    from glamlab.evaluation.backtest import figure

    nan = float("nan")
    assert figure({"value": 0.8124, "low": 0.79, "high": 0.83}) == "0.812 [0.790, 0.830]"
    assert figure({"value": nan, "low": nan, "high": nan}) == NOT_MEASURED
    assert figure({"value": None, "low": None, "high": None}) == NOT_MEASURED
    assert figure({"value": 0.7, "low": None, "high": None}) == \
        f"0.700 (no interval: {NOT_MEASURED})"


@pytest.mark.slow
def test_the_evaluate_page_says_why_there_is_no_ranking(make_ws, tmp_path):
    from glamlab.web import jobs

    from ..web.conftest import app_with_users, csrf_of
    from ..web.test_tabular_test_rows import _main

    ws = _quiet_month(make_ws, tmp_path)
    made = app_with_users(ws)
    _ws, app, client = next(made)
    try:
        ada = client("ada")
        r = ada.post("/stages/evaluate/backtest", data={
            "csrf": csrf_of(ada), "model": "tabular-gbm", "since": "", "until": "",
            "n_boot": "20"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        assert jobs.latest(ws, "backtest")["status"] == "done"
        page = html.unescape(_main(ada.get("/stages/evaluate").text))
        assert "n/a" not in page and ">nan" not in page
        assert page.count(f"<td>{NOT_MEASURED}</td>") == 4
        # the F1 of the month nobody cancelled in: overall and in the month's row
        assert page.count(f"<td>{no_positive('is_canceled = 1')}</td>") == 8
        assert "0.000 [0.000, 0.000]" not in page
    finally:
        next(made, None)
