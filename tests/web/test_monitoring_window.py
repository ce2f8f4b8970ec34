"""A tabular project's monitoring page says which date column places the rows in windows,
and an admin chooses the window (weeks, months or automatic), kept as ``[monitor]
window`` in glamlab.toml for everyone and for ``glamlab monitor``. Before, the page
offered no choice (always automatic) and did not name the date column. A reviewer can
check now but not change the window; a window not in the list is one message. A time
column of whole numbers (a year) is refused when the table comes in, with the fix:
before, "2015" was read as 2015-01-01 and monitoring had no months to compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import csrf_of
from .test_retrain_page import shifted_app  # noqa: F401  (the fixture)


def test_an_admin_chooses_weeks_and_the_report_follows(shifted_app: Any) -> None:  # noqa: F811
    from glamlab.monitoring import stored

    ws, app, client = shifted_app
    # a sample (~25 rows a week): weeks compared with fewer rows, no same-days-last-year
    ws.update_card({"monitor": {"min_reference": 50, "season": False}})
    ada = client("ada")
    page = ada.get("/stages/monitoring").text
    assert 'id="monitor-choice"' in page and "<b>arrival_date</b>" in page
    assert '<select id="window" name="window">' in page
    assert '<option value="auto" selected>' in page
    r = ada.post("/stages/monitoring", data={"csrf": csrf_of(ada), "window": "week"},
                 follow_redirects=False)
    assert r.status_code == 303
    assert app.state.jobs.wait(300)
    assert ws.card.section("monitor") == {"min_reference": 50, "season": False,
                                          "window": "week"}
    assert 'window = "week"' in ws.card_path.read_text(encoding="utf-8")
    report = stored.load(ws)
    assert report is not None and report.get("window") == "week", report.get("error")
    page = ada.get("/stages/monitoring").text
    assert '<option value="week" selected>' in page
    assert "one window per week" in page


def test_a_reviewer_cannot_change_the_window_and_a_bad_one_is_one_message(
        shifted_app: Any) -> None:  # noqa: F811
    ws, app, client = shifted_app
    rey = client("rey")
    page = rey.get("/stages/monitoring").text
    assert 'name="window"' not in page and 'id="start-monitor"' in page
    r = rey.post("/stages/monitoring", data={"csrf": csrf_of(rey), "window": "month"})
    assert r.status_code == 403 and "cannot change how monitoring cuts" in r.text
    assert "window" not in ws.card.section("monitor")
    ada = client("ada")
    r = ada.post("/stages/monitoring", data={"csrf": csrf_of(ada), "window": "fortnight"})
    assert r.status_code == 400
    assert r.text.count('class="problem"') == 1
    assert "the window must be one of the list, not &#39;fortnight&#39;" in r.text
    assert "window" not in ws.card.section("monitor")


def test_a_year_column_is_not_taken_for_the_rows_dates(make_ws: Any, tmp_path: Path) -> None:
    from glamlab.errors import ColumnError
    from glamlab.tasks.tabular import ingest_table
    from tests import bookings

    table = bookings.raw().head(200).copy()
    table["year"] = table["arrival_date"].str[:4].astype(int)
    table.to_csv(tmp_path / "b.csv", index=False)
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    with pytest.raises(ColumnError) as err:
        ingest_table(ws, tmp_path / "b.csv", time_column="year", label_column="is_canceled",
                     id_column="id")
    assert "'year' holds whole numbers such as '2015', not dates" in err.value.message
    assert "join them into one date column" in (err.value.hint or "")
    assert not list(ws.items())
