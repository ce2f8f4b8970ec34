"""In a real headless Chromium: a viewer opens Trends over time, picks a decade of
date_text and a subject, sees the chart and its table, and downloads the numbers
(issue 22)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from .conftest import LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)
from .test_trends_page import subjects_ws


def test_a_viewer_draws_a_trend_and_downloads_its_numbers(make_ws: Any, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    ws = subjects_ws(make_ws)
    with LiveServer(create_app(ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        expect = sync_api.expect
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        browser_login(page, server.url, "val")
        page.goto(server.url + "/stages/act")
        page.click("nav[aria-label=Stages] a[href='/stages/trends']")
        expect(page.locator("h1")).to_have_text("Trends over time")
        page.select_option("#trends-by", "date_text:decade")
        page.select_option("#trends-label", "people")
        page.click("#trends-show")
        trend = page.locator("#trend")
        # (the trend is computed on the click: bootstrap intervals, cross-validation;
        # on a loaded 2-core machine that can take longer than expect's 5 s default)
        expect(trend.locator("h3")).to_have_text(["Label: people"], timeout=60_000)
        expect(trend.locator("svg")).to_have_count(1)
        expect(trend.locator("svg").first).to_be_visible()
        expect(page.locator("#trend-method")).to_contain_text("Corrected share:")
        expect(trend.locator("table.trend-table")).to_contain_text("1970s")
        expect(trend.locator("table.trend-table")).to_contain_text("too few items")
        # the raw line can be hidden and shown again (app.js: the page's CSP allows no
        # inline script)
        raw = trend.locator("svg g.series.raw").first
        expect(raw).to_be_visible()
        page.uncheck("#trends-toggles input[data-toggle=raw]")
        expect(raw).to_be_hidden()
        expect(trend.locator("svg g.series.corrected").first).to_be_visible()
        page.check("#trends-toggles input[data-toggle=raw]")
        expect(raw).to_be_visible()
        # the form keeps what was asked, and the numbers download as a CSV
        expect(page.locator("#trends-label")).to_have_value("people")
        with page.expect_download() as info:
            page.click("#trends-csv")
        saved = tmp_path / "trend.csv"
        info.value.save_as(saved)
        with open(saved, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert {r["name"] for r in rows} == {"people"} and "1970s" in {r["group"] for r in rows}
        # a field the items lack (a stale form) is one message on the page, with the fix
        page.evaluate("document.querySelector('#trends-by option').value = 'painter'")
        page.select_option("#trends-by", "painter")
        page.click("#trends-show")
        expect(page.locator("#trends-error")).to_contain_text("no metadata field 'painter'")
        assert not errors, errors
        browser.close()
