"""A visitor-services manager uploads the hotel bookings as they come (no booking number
column): the id is not silently the first column ("hotel", the same on every row), the
page says how to add one, and a column that is no id is refused at once with the fix,
rather than every row left out for a repeated id (and a list of 4,000 line numbers)."""

from __future__ import annotations

from typing import Any

import pytest

from glamlab.web.app import stop_background

from .conftest import PASSWORD, LiveServer, app_with_users
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)
from .test_tabular_uploads import NEVER, _csv, _rows, _sample, _upload


@pytest.fixture
def rows_app(make_ws: Any) -> Any:
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    yield from app_with_users(ws)


def _no_ids() -> bytes:
    raw = _sample(200).drop(columns=["id"])
    return _csv(raw[["hotel", *[c for c in raw.columns if c != "hotel"]]])


def test_a_column_that_is_no_id_is_refused_before_anything_is_stored(rows_app: Any) -> None:
    ws, _app, client = rows_app
    ada = client("ada")
    q = _upload(ada, "bookings.csv", _no_ids())
    fields = {"time_column": "arrival_date", "label_column": "is_canceled",
              "never_features": NEVER}
    r = _rows(ada, q, id_column="hotel", **fields)
    assert r.status_code == 422, r.status_code
    assert "cannot be the rows" in r.text and "on 200 rows" in r.text
    assert "filled with 1, 2, 3" in r.text
    r = _rows(ada, q, id_column="", **fields)
    assert r.status_code == 422 and "choose the column with each row" in r.text
    assert not list(ws.items()) and not ws.card.section("tabular")


def test_the_id_is_not_silently_the_first_column(rows_app: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    _ws, app, _client = rows_app
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page()
            page.goto(server.url + "/login")
            page.fill("input[name=username]", "ada")
            page.fill("input[name=password]", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(server.url + "/")
            page.goto(server.url + "/stages/items")
            page.set_input_files("#upload-file", files=[{
                "name": "bookings.csv", "mimeType": "text/csv", "buffer": _no_ids()}])
            page.click("#upload")
            expect = sync_api.expect
            expect(page.locator("#rows-id")).to_have_value("")
            expect(page.locator("#rows-id-hint")).to_contain_text("add one before uploading")
            page.click("#bring-in-rows")
            expect(page.locator("main")).to_contain_text("choose the column with each row")
            browser.close()
    finally:
        stop_background(app)


def test_the_date_guessed_is_not_one_written_after_the_outcome(rows_app: Any) -> None:
    """The hotel bookings hold ``reservation_status_date`` (when the booking was cancelled
    or checked out) before the ``arrival_date`` a manager adds at the end: the page
    proposes the arrival date, not the date that gives the outcome away."""
    _ws, _app, client = rows_app
    ada = client("ada")
    raw = _sample(60)
    raw = raw[[c for c in raw.columns if c != "arrival_date"] + ["arrival_date"]]
    assert list(raw.columns).index("reservation_status_date") < len(raw.columns) - 1
    q = _upload(ada, "bookings.csv", _csv(raw))
    page = ada.get(f"/stages/items?upload={q['upload']}&file={q['file']}").text
    time_select = page.split('id="rows-time"', 1)[1].split("</select>", 1)[0]
    assert "<option selected>arrival_date</option>" in time_select, time_select


def test_a_tabular_project_names_its_bring_rows_in_page(rows_app: Any) -> None:
    """The overview sent a manager to "the Bring items in page" for a row left out, and
    the Export page said the same: the navigation calls that page "Bring rows in"."""
    import re

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample(120)
    raw["id"] = raw["id"].astype(str)
    raw.loc[5, "id"] = raw.loc[4, "id"]  # one id twice: those rows are left out
    q = _upload(ada, "bookings.csv", _csv(raw))
    r = _rows(ada, q, id_column="id", time_column="arrival_date", label_column="is_canceled",
              never_features=NEVER + ["reservation_status", "reservation_status_date"])
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    overview = ada.get("/").text
    assert re.search(r"ingest problems? \(see the Bring rows in page\)", overview), overview
    assert "Bring items in" not in overview
