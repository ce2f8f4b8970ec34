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


def _words(page: str) -> str:
    import re

    text = re.sub(r"<[^>]*>", " ", re.sub(r"<!--.*?-->", "", page.split("<main", 1)[1],
                                          flags=re.S))
    return re.sub(r"\s+", " ", text)


def test_the_page_says_where_the_date_column_is_set_and_that_it_stays(
        shifted_app: Any) -> None:  # noqa: F811
    """The date column is fixed when the first table comes in (the time split, each
    model's training period and the windows are dates in it): the page says so and
    where it is kept, instead of sending an admin to bring the table in again naming
    another column, which ingest refuses."""
    from glamlab.errors import ConfigError
    from glamlab.tasks.tabular import ingest_table
    from tests import bookings

    ws, app, client = shifted_app
    words = _words(client("ada").get("/stages/monitoring").text)
    assert "bring the table in again naming it" not in words
    assert ("It cannot be changed here, nor by bringing a table in again" in words
            and "time_column in the [tabular] section of the project's glamlab.toml" in words
            and "start a new project" in words), words[:3000]
    table = bookings.raw().head(50).copy()
    table["booked_on"] = table["arrival_date"]
    table.to_csv(ws.root / "again.csv", index=False)
    with pytest.raises(ConfigError, match="time_column is 'arrival_date', not 'booked_on'"):
        ingest_table(ws, ws.root / "again.csv", time_column="booked_on")


def test_a_window_too_small_to_tell_says_so(shifted_app: Any) -> None:  # noqa: F811
    """A month of ~110 rows whose estimated F1 has a 95% range wider than 0.2 says
    "too few rows to tell"; a narrower one does not."""
    from glamlab.monitoring import stored

    ws, app, client = shifted_app
    ws.update_card({"monitor": {"min_reference": 50, "season": False, "window": "month"}})
    ada = client("ada")
    assert ada.post("/stages/monitoring", data={"csrf": csrf_of(ada)},
                    follow_redirects=False).status_code == 303
    assert app.state.jobs.wait(300)
    report = stored.load(ws)
    assert report is not None and report.get("windows"), report
    wide = [w for w in report["windows"]
            if w["estimate"]["high"] - w["estimate"]["low"] > 0.2]
    narrow = [w for w in report["windows"]
              if w["estimate"]["high"] - w["estimate"]["low"] <= 0.2]
    assert wide and narrow
    words = _words(ada.get("/stages/monitoring").text)
    for w in wide:
        row = words.split(f"{w['start']} to {w['end']}", 1)[1][:400]
        assert "Too few rows to tell: the 95% range is" in row.split(" to 20")[0], row
    for w in narrow:
        row = words.split(f"{w['start']} to {w['end']}", 1)[1].split(" to 20")[0]
        assert "Too few rows" not in row, row
