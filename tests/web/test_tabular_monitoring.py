"""The web app's monitoring for a tabular project: the stored report of the rows monitor
(windows after the training period, the staged lead-time shift flagged with its cause in
words, estimated beside realised F1), computed by the background job and shown on the
monitoring stage page and the reports page; before a model exists the page says what to
do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glamlab.web.app import stop_background
from tests import bookings
from tests.web.conftest import PASSWORD, login

NEVER = list(bookings.NEVER)


@pytest.fixture
def rows_ws(tmp_path: Path, make_ws: Any) -> Any:
    from glamlab.demo.bookings import staged
    from glamlab.ingest.columns import read_table

    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < "2017-01-01"].to_csv(tmp_path / "history.csv", index=False)
    later = staged(raw)
    later[later["arrival_date"] >= "2017-01-01"].to_csv(tmp_path / "2017.csv", index=False)
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    ws.card.raw.setdefault("monitor", {})["min_reference"] = 50  # a sample: ~100 rows/month
    ws.save_card()
    return ws, tmp_path


def _ingest(ws: Any, path: Path) -> None:
    from glamlab.tasks.tabular import ingest_table

    ingest_table(ws, path, time_column="arrival_date", label_column="is_canceled",
                 id_column="id", group_columns=["hotel"], never_features=NEVER)


@pytest.mark.slow
def test_the_monitoring_page_shows_drift_causes_and_estimates(rows_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.monitoring import stored
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import set_time_split
    from glamlab.web import create_app

    ws, tmp = rows_ws
    add_user(ws, "rey", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        page = c.get("/stages/monitoring")
        assert page.status_code == 200 and "no model yet" in page.text
        assert "each week or month of rows" in page.text
    _ingest(ws, tmp / "history.csv")
    set_time_split(ws, cutoff="2017-01-01")
    train_tabular(ws, "tabular-gbm")
    _ingest(ws, tmp / "2017.csv")
    report = stored.compute(ws)  # what the page's background job does
    assert report.get("tabular") and report["alert"], report.get("error")
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        page = c.get("/stages/monitoring").text
        assert "windows moved beyond their usual variation" in page
        # what to do next, on the page that does it
        assert '<a href="/stages/retrain">Retrain from outcomes</a> page' in page
        assert "<td>yes: lead_time</td>" in page  # May, the first month with the shift
        assert "Most likely cause: <b>lead_time</b>" in page
        assert "lead_time: median" in page  # the cause in words
        assert "Estimated" in page and 'data-plot="line"' in page
        # the F1 of the positive outcome, named so (evaluate's f1_macro averages over
        # the outcomes): the table's header and the chart's heading
        assert "<th scope=\"col\">Estimated F1 for &#39;is_canceled = 1&#39; (95% range)" in page
        assert "Estimated and realised F1 for &#x27;is_canceled = 1&#x27;</h3>" in page
        assert "not the F1 averaged over the outcomes (f1_macro)" in page
        assert "Realised" in page
        reports = c.get("/reports").text
        assert "lead_time" in reports


@pytest.mark.slow
def test_the_capacity_page_plans_extra_places_and_replays_them(rows_ws: Any) -> None:
    """A tabular project's "what it would do" page: a reviewer works out the extra places
    per day and hotel (a background job), sees the replay in money beside the model's
    word, and downloads the plan as CSV; viewers only read; a bad risk gets one error."""
    import csv
    import io

    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import set_time_split
    from glamlab.web import create_app
    from tests.web.conftest import csrf_of

    ws, tmp = rows_ws
    add_user(ws, "rey", PASSWORD, "reviewer")
    add_user(ws, "val", PASSWORD, "viewer")
    _ingest(ws, tmp / "history.csv")
    set_time_split(ws, cutoff="2017-01-01")
    train_tabular(ws, "tabular-gbm")
    _ingest(ws, tmp / "2017.csv")
    ws.card.raw["decision"] = {"price": 20.0, "over_cost": 60.0}
    ws.save_card()
    app = create_app(ws)
    try:
        with TestClient(app) as c:
            v = TestClient(app)  # a second browser: a viewer
            login(v, "val")
            page = v.get("/stages/act").text
            assert "extra places per slot" in page and "for each hotel" in page
            assert 'id="start-capacity"' not in page
            assert v.post("/stages/act/capacity", data={"csrf": csrf_of(v), "risk": "0.05"},
                          follow_redirects=False).status_code == 403
            login(c, "rey")
            # no CSRF token: refused, nothing queued
            assert c.post("/stages/act/capacity", data={"risk": "0.05"},
                          follow_redirects=False).status_code in (400, 403)
            bad = c.post("/stages/act/capacity", data={"csrf": csrf_of(c), "risk": "5"},
                         follow_redirects=False)
            assert bad.status_code == 400 and "between 0 and 1" in bad.text
            assert c.get("/stages/act/capacity.csv").status_code == 404
            r = c.post("/stages/act/capacity", data={"csrf": csrf_of(c), "risk": "0.05",
                                                     "calibrate": "yes"},
                       follow_redirects=False)
            assert r.status_code == 303
            assert app.state.jobs.wait(300)
            page = c.get("/stages/act").text
            assert 'id="capacity-result"' in page, page[-2000:]
            assert "glamlab&#39;s plan" in page and "the model&#39;s word" in page
            assert "Checked against the outcomes of the latest 60 slots" in page
            from tests.web.test_plain_words import config_words

            assert config_words(c, ("/stages/act",)) == []  # no "[decision]", no "card's"
            assert "EUR" in page
            got = c.get("/stages/act/capacity.csv").content
            assert got.startswith("\ufeffperiod,".encode())  # Excel reads it as UTF-8
            rows = list(csv.DictReader(io.StringIO(got.decode("utf-8-sig"))))
            assert rows and {"period", "hotel", "bookings", "extra"} <= set(rows[0])
            assert all(int(r["extra"]) <= int(r["bookings"]) for r in rows)
    finally:
        stop_background(app)
