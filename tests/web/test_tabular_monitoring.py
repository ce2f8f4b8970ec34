"""The web app's monitoring for a tabular project: the stored report of the rows monitor
(windows after the training period, the staged lead-time shift flagged with its cause in
words, estimated beside realised F1), computed by the background job and shown on the
monitoring stage page and the reports page; before a model exists the page says what to
do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
        assert "<td>yes: lead_time</td>" in page  # May, the first month with the shift
        assert "Most likely cause: <b>lead_time</b>" in page
        assert "lead_time: median" in page  # the cause in words
        assert "Estimated" in page and 'data-plot="line"' in page
        assert "Realised" in page
        reports = c.get("/reports").text
        assert "lead_time" in reports
