"""In a real headless Chromium: the reports page with the plots of an evaluation draws
them without the Content-Security-Policy refusing anything (the plots carry presentation
attributes, not inline styles), and the browser finds the app's icon."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)
from .test_reports import evaluated_ws


def test_the_reports_plots_break_no_content_security_rule(make_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    ws, _result = evaluated_ws(make_ws)
    with LiveServer(create_app(ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        console: list[str] = []
        failed: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(str(e)))
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        browser_login(page, server.url, "val")
        page.goto(server.url + "/reports")
        plots = page.locator(".evaluation-report svg.plot")
        sync_api.expect(plots.first).to_be_visible()
        assert plots.count() >= 2
        font = plots.first.locator("text").first.evaluate(
            "t => getComputedStyle(t).fontFamily")
        assert "system-ui" in font
        icon = page.request.get(server.url + "/favicon.ico")
        assert icon.status == 200
        browser.close()
    assert console == [] and failed == []
