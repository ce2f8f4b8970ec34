"""In a real headless Chromium: an admin retrains a tabular project on the outcomes that
came in (the Retrain from outcomes page, a background job the page follows), reads the
current model and the new versions on the same held-out rows with their 95% ranges,
switches to the new version after confirming, and the page says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, chromium_page
from .test_browser import pytestmark  # noqa: F401  (browser marks, skip)
from .test_retrain_page import WINDOW, shifted_project


@pytest.fixture
def shifted_ws(tmp_path: Path, make_ws: Any) -> Any:
    from glamlab.auth import add_user

    ws = shifted_project(tmp_path, make_ws)
    add_user(ws, "ada2", PASSWORD, "admin")
    return ws


def test_an_admin_retrains_and_switches_in_a_browser(shifted_ws: Any) -> None:
    from glamlab.registry.tabular import champion_predictor

    ws = shifted_ws
    with chromium_page(ws, "/stages/monitoring", user="ada2",
                       viewport={"width": 1200, "height": 900}) as (sync_api, page, errors):
        expect = sync_api.expect
        page.click("a[href='/stages/retrain']")
        expect(page.locator("h1")).to_have_text("Retrain from outcomes")
        expect(page.locator("#current-model")).to_have_text("tabular-gbm@1")
        page.fill("#window_start", "August")  # not a date: one message, nothing starts
        page.click("#start-retrain")
        expect(page.locator("#retrain-problem")).to_contain_text("must be a date")
        page.fill("#window_start", WINDOW)
        page.click("#start-retrain")
        expect(page.locator("#job")).to_contain_text("Retraining finished", timeout=240_000)
        expect(page.locator("#retrain-scores tbody tr")).to_have_count(3)
        expect(page.locator("#retrain-scores")).to_contain_text(" to ")
        expect(page.locator("#retrain-difference")).to_contain_text("95% range")
        page.click("#retrain-switch")
        expect(page.locator("h1")).to_contain_text("Switch to the new version")
        page.click("#confirm-yes")
        page.wait_for_url("**/stages/retrain?switched=1")
        expect(page.locator("#switched")).to_be_visible()
        assert not errors, errors
    assert champion_predictor(ws, None)[0].spec == "tabular-gbm@2"


def test_the_retrain_and_monitoring_pages_keyboard_and_screen_reader(shifted_ws: Any) -> None:
    """The new pages pass the accessibility rules every page does (one h1, labelled
    fields, named buttons, a focus ring, no timed refresh), with a comparison shown."""
    from glamlab.auth import add_user
    from glamlab.web import jobs
    from glamlab.web.jobs import JobWorker

    from .test_browser_a11y import _check_pages

    ws = shifted_ws
    add_user(ws, "ada", PASSWORD, "admin")
    jobs.submit(ws, "retrain", "ada", {"window_start": WINDOW, "recent_days": 90})
    worker = JobWorker(ws, poll_s=0.1)
    worker.start()
    try:
        assert worker.wait(300)
    finally:
        worker.stop()
    assert (jobs.latest(ws, "retrain") or {}).get("status") == "done"
    _check_pages(ws, ["/stages/retrain", "/stages/monitoring", "/stages/policy",
                      "/stages/evaluate"], label_keys=False, entities=False)
