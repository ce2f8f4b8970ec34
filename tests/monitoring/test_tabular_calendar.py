"""The curator's walk of the no-show story (session 44), replayed on the bundled sample
with the columns the walk kept: the week number of the arrival date is a position in
the calendar that moves on with the date by itself, so the monitor does not judge it
(and says so); the weeks too small to check are counted and named; a model trained up to
the last month (as after a retrain) leaves a monitoring page that says in plain words
why that month cannot be checked yet and what would let it be; a stored alert's value
says what it measures."""

from __future__ import annotations

import pytest

from tests import bookings

#: what the walk left out of the inputs (the docs' walkthrough and the backtest's advice)
WALK_NEVER = ["reservation_status", "reservation_status_date", "arrival_date_year"]


def _project(d, cutoff: str):
    from glamlab.ingest.columns import read_table
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import ingest_table, set_time_split
    from glamlab.workspace import Workspace

    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < cutoff].to_csv(d / "history.csv", index=False)
    raw[raw["arrival_date"] >= cutoff].to_csv(d / "later.csv", index=False)
    ws = Workspace.init(d / "ws", task="no-shows", modality="tabular", labels=["0", "1"])
    ws.card.raw.setdefault("monitor", {})["min_reference"] = 100  # as in the walk

    ws.save_card()

    def ingest(path):
        ingest_table(ws, path, time_column="arrival_date", label_column="is_canceled",
                     id_column="id", group_columns=["hotel"], never_features=WALK_NEVER)

    ingest(d / "history.csv")
    set_time_split(ws, cutoff=cutoff)
    train_tabular(ws, "tabular-gbm")
    ingest(d / "later.csv")
    return ws


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    return _project(tmp_path_factory.mktemp("walk"), "2017-01-01")


def test_calendar_positions_are_found_on_the_bookings():
    from glamlab.ingest.columns import infer_schema, prepare
    from glamlab.monitoring.tabular import calendar_positions

    table = bookings.raw()
    # a price set per date that rises through the year moves with the date too, but
    # it is no position in the calendar: a change in it is still judged
    day = table["arrival_date"].astype("datetime64[ns]").dt.day_of_year
    table["day_price"] = 80 + day * 0.5
    table["day_rank"] = (day // 10).astype(int) + 60  # whole numbers, but above 53
    schema = infer_schema(table, time_column="arrival_date", label_column="is_canceled",
                          id_column="id", never_features=WALK_NEVER, group_columns=["hotel"])
    found = calendar_positions(prepare(table, schema), schema)
    # the sample counts its weeks its own way (not ISO weeks): found all the same
    assert found == {"arrival_date_month": "the month of arrival_date",
                     "arrival_date_week_number": "the week of the year of arrival_date",
                     "arrival_date_day_of_month": "the day of the month of arrival_date"}


def test_a_calendar_column_raises_no_drift_alarm_and_small_weeks_are_named(walked):
    """It used to flag two weeks, "Most likely cause: arrival_date_week_number" (exit 3),
    and say "2 window(s) of a week ... 6 not checked" of 36 weeks with rows."""
    from glamlab.monitoring.tabular_project import MIN_ROWS, monitor_project

    report = monitor_project(walked, window="week")
    causes = {c.column for w in report.windows for c in w.drift.causes}
    assert not causes & {"arrival_date_week_number", "arrival_date_day_of_month",
                         "arrival_date_month"}
    assert all(c.column != "arrival_date_week_number"
               for w in report.windows for c in w.drift.columns)
    text = report.summary()
    assert "Not judged for drift: arrival_date_month (the month of arrival_date), " \
           "arrival_date_week_number (the week of the year of arrival_date)" in text
    assert "moves on with the date by itself" in text
    # every week with rows is counted: checked, not checked for want of rows before it,
    # too small to judge, each of the small ones named with its rows
    weeks = bookings.frame().query("arrival_date >= '2017-01-01'")["arrival_date"]
    n_weeks = weeks.dt.to_period("W-SUN").nunique()
    assert len(report.windows) + len(report.skipped) + len(report.small) == n_weeks
    assert report.small and all(n < MIN_ROWS for _a, _b, n in report.small)
    assert f"{n_weeks} weeks with rows after it: {len(report.windows)} checked" in text
    assert f"{len(report.small)} not checked (fewer than {MIN_ROWS} rows" in text
    a, b, n = report.small[1]
    assert f"{a} to {b} ({n} rows)" in text
    assert "glamlab monitor --window month" in text
    data = report.to_dict()
    assert len(data["too_small"]) == len(report.small)
    assert data["calendar"]["arrival_date_week_number"] == "the week of the year of arrival_date"


def test_a_month_that_cannot_be_checked_is_said_plainly_on_the_page(tmp_path, capsys):
    """A model trained up to the last month (as after a retrain): the page used to show
    only "only 95 reference rows ... min_reference = 95" and nothing else."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.cli import main
    from glamlab.monitoring import stored
    from glamlab.web import create_app
    from tests.web.conftest import login

    ws = _project(tmp_path, "2017-08-01")
    report = stored.compute(ws, web=True)
    assert not report.get("error"), report.get("error")
    assert report["windows"] == [] and len(report["skipped"]) == 1
    (august,) = report["skipped"]
    n_before = int(bookings.frame().query(
        "'2017-07-04' <= arrival_date < '2017-08-01'").shape[0])
    assert n_before < 100
    add_user(ws, "rey", "correct horse battery", "reviewer")
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        page = c.get("/stages/monitoring").text
    assert "reference rows" not in page
    assert "No month after the training period could be checked yet" in page
    assert (f"only {n_before} rows arrived in the 28 days before it, and each month is "
            "compared with at least 100 rows that came before it") in page
    assert f"min_reference = {n_before}" in page and "glamlab.toml" in page
    assert "Not judged for drift: arrival_date_month" in page
    assert "No window moved beyond" not in page  # nothing was checked
    # the command line names the month, then stops with the card's fix
    with pytest.raises(SystemExit) as ex:
        main(["-w", str(ws.root), "monitor"])
    assert ex.value.code == 2
    out = capsys.readouterr()
    assert "1 month with rows after it: 0 checked, 0 flagged; 1 not checked" in out.out
    assert out.err.startswith("error: no month could be checked (only ")
    assert f"min_reference = {n_before}" in out.err


def test_a_stored_drift_alert_says_what_its_value_measures(walked):
    """Stored alerts used to show "Value 7.686 Threshold 3.229" and nothing else."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.monitoring.tabular import ColumnDrift, WindowDrift
    from glamlab.monitoring.tabular_project import (
        TabularMonitorReport,
        WindowReport,
        store_alerts,
    )
    from glamlab.web import create_app
    from tests.web.conftest import login

    drift = WindowDrift(31, "2017-06-26", "2017-07-02", "the 28 days before", 101, 3.229,
                        [ColumnDrift("lead_time", "number", 0.4, 7.686, 0.1, True,
                                     "lead_time: median 68 days in the reference, 2 days "
                                     "in this window", 0.3)])
    report = TabularMonitorReport("tabular-gbm@1", "2017-01-01", "week",
                                  [WindowReport(drift, None)])  # type: ignore[arg-type]
    assert store_alerts(walked, report) == 1
    add_user(walked, "ada", "correct horse battery", "reviewer")
    with TestClient(create_app(walked)) as c:
        login(c, "ada")
        page = c.get("/stages/monitoring").text
    assert "lead_time moved 7.7 times its usual spread" in page
    assert "an alert above 3.2 times its usual spread" in page
    assert "7.686" not in page


def test_an_older_alert_on_a_column_no_longer_watched_says_so(walked):
    """Alerts stored before the week number was left out of drift kept blaming it on the
    monitoring page, as if it were a current cause ("drift: arrival_date_week_number",
    red): they say the column is no longer watched, and why; a current one does not."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.monitoring.monitor import stored_alerts
    from glamlab.store import now
    from glamlab.web import create_app
    from tests.web.conftest import login

    t = walked.store.t.alerts
    with walked.store.write() as conn:
        for column, window in (("arrival_date_week_number", "2017-03-06..2017-03-12"),
                               ("arrival_date_year", "2017-03-13..2017-03-19"),
                               ("adr", "2017-03-20..2017-03-26")):
            conn.execute(t.insert().values(created_at=now(), signal=f"drift: {column}",
                                           window=f"tabular-gbm@1 {window}", value=5.0,
                                           threshold=3.0, details={}))
    calendar = {"arrival_date_week_number": "the week of the year of arrival_date"}
    shown = {a["signal"]: a.get("unwatched") for a in stored_alerts(walked, calendar=calendar)}
    assert "the week of the year of arrival_date" in shown["drift: arrival_date_week_number"]
    assert "never_features" in shown["drift: arrival_date_year"]  # no model reads it now
    assert shown["drift: adr"] is None  # still watched: a current cause
    add_user(walked, "eve", "correct horse battery", "reviewer")
    app = create_app(walked)
    with TestClient(app) as c:
        login(c, "eve")
        # (the monitor cannot run on this card by months: the rows tell which columns)
        page = c.get("/stages/monitoring").text
        assert app.state.refresher.wait(120)
        assert page.split("drift: arrival_date_week_number", 1)[1].split("</tr>", 1)[0] \
            == c.get("/stages/monitoring").text.split(
                "drift: arrival_date_week_number", 1)[1].split("</tr>", 1)[0]
    row = page.split("drift: arrival_date_week_number", 1)[1].split("</tr>", 1)[0]
    assert "No longer watched for drift: it only says where the date lies in the calendar " \
           "(the week of the year of arrival_date)" in row
    assert "not a current cause" in row
    adr = page.split("drift: adr", 1)[0].rsplit("<tr", 1)[1]
    assert 'class="problem"' in adr
