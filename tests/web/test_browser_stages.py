"""In a real headless Chromium: a curator takes a project from labelled items to a
downloaded export with the browser only (evaluate, champion, run, dry run, export), and
reviews by number keys, the page giving its items back when it is left (issue 18)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from glamlab.demo import demo_data
from glamlab.web.app import stop_background

from .conftest import PASSWORD, LiveServer, browser_login
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)


@pytest.fixture
def lang_ws(make_ws: Any) -> Any:
    from glamlab.auth import add_user
    from glamlab.tasks import import_labels, split_labels
    from tests.tasks.helpers import add_csv_items

    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("lang", modality="text", labels=labels, need="Know each text's language.")
    add_csv_items(ws, demo_data("language") / "texts.csv", text_column="text")
    import_labels(ws, demo_data("language") / "texts.csv")
    split_labels(ws, test_size=0.3, seed=0)
    add_user(ws, "ada", PASSWORD, "admin")
    return ws


def test_from_labelled_items_to_a_downloaded_export(lang_ws: Any, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    ws = lang_ws
    app = create_app(ws)
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 900},
                                    accept_downloads=True)
            expect = sync_api.expect
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            browser_login(page, server.url, "ada")
            # the overview's next step is a button, not a command
            page.click("#next-link")
            expect(page.locator("h1")).to_have_text("Baselines and evaluation")
            page.click("#start-evaluate")
            expect(page.locator("#job")).to_contain_text("Evaluation finished", timeout=180_000)
            expect(page.locator("table").first).to_contain_text("majority")
            # the admin page: majority becomes champion, after a confirmation
            page.goto(server.url + "/admin")
            page.select_option("#alias-model", label=next(
                o for o in page.locator("#alias-model option").all_inner_texts()
                if o.startswith("majority@")))
            page.select_option("#alias-name", "champion")
            page.click("form[aria-label='Promote a model'] button[type=submit]")
            expect(page.locator("h1")).to_contain_text("the model in use?")
            page.click("#confirm-yes")
            # the confirmation's POST lands before the next page is asked for (going on at
            # once would cancel it, and the run page would have no champion to run)
            page.wait_for_url("**/admin?done=alias-set")
            # the run, as a job with a progress bar; a reload keeps showing it
            page.goto(server.url + "/stages/run")
            page.click("#start-run")
            # the POST answered (htmx follows its redirect to the page that follows the
            # job) before the reload: reloading at once could cancel it, or be answered
            # before the job was stored, and the page then waited for a run never started
            page.wait_for_url("**/stages/run?started=run")
            page.reload()
            expect(page.locator("#job")).to_contain_text("The run finished", timeout=180_000)
            n = ws.count_items()
            expect(page.locator("#run-progress")).to_have_attribute("value", str(n))
            # what the policy would do (worked out in the background, then shown)
            page.goto(server.url + "/stages/act")
            expect(page.locator("main")).to_contain_text("accepted automatically",
                                                         timeout=120_000)
            # the export, downloaded
            page.goto(server.url + "/stages/export")
            with page.expect_download() as info:
                page.click("a[data-format=csv]")
            saved = tmp_path / "export.csv"
            info.value.save_as(saved)
            with open(saved, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            assert len(rows) == n and rows[0]["model"].startswith("majority")
            assert not errors, errors
            browser.close()
    finally:
        stop_background(app)


def test_number_keys_decide_and_leaving_gives_the_items_back(queued_ws: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    ws = queued_ws
    t = ws.store.t
    labels = ws.card.labels

    def held() -> int:
        with ws.store.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(
                t.review_queue.c.lease_owner == "rey")).scalar())

    with LiveServer(create_app(ws)) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        expect = sync_api.expect
        browser_login(page, server.url, "rey")
        page.goto(server.url + "/queue?view=list&sort=score")
        expect(page.locator("#queue-keys")).to_contain_text(f"2 {labels[1]}")
        first = page.locator(".qitem").first
        expect(first).to_be_focused()
        qid = int(first.get_attribute("data-queue-id") or 0)
        assert held() == 25  # exactly the rows shown
        # read before the key press: once decided, the item leaves the list and
        # ``first`` then names the next one
        said = first.get_attribute("aria-label") or ""
        page.keyboard.press("2")  # the second label is the right one
        expect(page.locator("#queue-status")).to_contain_text(
            "Accepted" if f"predicted {labels[1]}" in said else "Corrected")
        with ws.store.read() as conn:
            d = conn.execute(sa.select(t.decisions).where(t.decisions.c.queue_id == qid)).one()
        assert d.label == labels[1] and d.user == "rey"
        # leaving the queue (another page through the menu) gives its items back
        expect(page.locator(".qitem").first).to_be_focused()
        page.click("nav a[href='/reports']")
        expect(page.locator("h1")).to_have_text("Reports")
        deadline = time.monotonic() + 10
        while held() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert held() == 0
        browser.close()
